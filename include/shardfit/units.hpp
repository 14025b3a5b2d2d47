#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/core/units.hpp>.
#include <shardfit/core/units.hpp>
