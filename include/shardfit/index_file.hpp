#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/files/index_file.hpp>.
#include <shardfit/files/index_file.hpp>
