#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/core/concepts.hpp>.
#include <shardfit/core/concepts.hpp>
