#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/io/filesystem.hpp>.
#include <shardfit/io/filesystem.hpp>
