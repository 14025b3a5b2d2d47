// Compiles every core header with fmt and nlohmann-json shadowed by #error headers.
#include <shardfit/shardfit.hpp>

int shardfit_no_deps_core_anchor() {
  return static_cast<int>(shardfit::bytes{1}.count());
}
