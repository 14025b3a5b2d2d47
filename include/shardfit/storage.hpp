#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/plan/storage.hpp>.
#include <shardfit/model/load.hpp>  // 0.1 gave the model loaders with this header
#include <shardfit/plan/storage.hpp>
