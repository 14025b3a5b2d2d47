#pragma once

// shardfit: forwarding header, kept for one release (0.2): include
// <shardfit/cluster/inventory_sources.hpp>.
#include <shardfit/cluster/inventory_sources.hpp>
