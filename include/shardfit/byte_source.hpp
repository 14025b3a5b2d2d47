#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/io/byte_source.hpp>.
#include <shardfit/io/byte_source.hpp>
