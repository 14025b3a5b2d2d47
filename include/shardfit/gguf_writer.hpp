#pragma once

// shardfit: forwarding header, kept for one release (0.2): include
// <shardfit/formats/gguf_writer.hpp>.
#include <shardfit/formats/gguf_writer.hpp>
