// Must fail to compile: proves the poison headers in no_deps/poison shadow the real ones.
#include <shardfit/json.hpp>

int shardfit_no_deps_control_anchor() {
  return 0;
}
