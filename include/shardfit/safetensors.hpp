#pragma once

// shardfit: forwarding header, kept for one release (0.2): include
// <shardfit/formats/safetensors.hpp>.
#include <shardfit/formats/safetensors.hpp>
