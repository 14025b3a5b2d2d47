#pragma once
// The bodies of b.hpp (only b.hpp may include this file).
#include <shardfit/plan/b.hpp>
