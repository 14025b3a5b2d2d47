#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/estimate/llama.hpp>.
#include <shardfit/estimate/llama.hpp>
#include <shardfit/model/load.hpp>  // 0.1 gave the model loaders with this header
