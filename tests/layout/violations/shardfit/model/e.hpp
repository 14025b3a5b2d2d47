#pragma once
#include <shardfit/files/f.hpp>
