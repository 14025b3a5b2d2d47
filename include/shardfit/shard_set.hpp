#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/files/discover.hpp>.
#include <shardfit/files/discover.hpp>
