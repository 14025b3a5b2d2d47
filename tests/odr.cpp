// Every public header in one more translation unit of the test binary: a function defined in a
// header without `inline` then fails to link.
#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/shardfit.hpp>
