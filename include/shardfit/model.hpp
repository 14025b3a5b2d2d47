#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/model/load.hpp>.
#include <shardfit/model/load.hpp>
