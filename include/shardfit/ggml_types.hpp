#pragma once

// shardfit: forwarding header, kept for one release (0.2): include
// <shardfit/formats/ggml_types.hpp>.
#include <shardfit/formats/ggml_types.hpp>
