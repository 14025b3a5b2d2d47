#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/core/fwd.hpp>.
#include <shardfit/core/fwd.hpp>
