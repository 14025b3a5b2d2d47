#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/reshard/reshard.hpp>.
#include <shardfit/reshard/reshard.hpp>
