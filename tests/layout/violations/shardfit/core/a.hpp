#pragma once
#include <shardfit/plan/b.hpp>
