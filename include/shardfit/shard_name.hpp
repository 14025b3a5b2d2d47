#pragma once

// shardfit: forwarding header, kept for one release (0.2): include <shardfit/files/shard_name.hpp>.
#include <shardfit/files/shard_name.hpp>
