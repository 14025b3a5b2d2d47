#pragma once

// shardfit: forwarding header, kept for one release (0.2): include
// <shardfit/formats/hf_config.hpp>.
#include <shardfit/formats/hf_config.hpp>
