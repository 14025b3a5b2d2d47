#pragma once
#include <shardfit/plan/detail/d.hpp>
