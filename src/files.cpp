// The bodies of the files/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/files/discover-inl.hpp>
#include <shardfit/files/index_file-inl.hpp>
#include <shardfit/files/shard_name-inl.hpp>
#include <shardfit/files/shard_set-inl.hpp>

namespace shardfit {
template discovery_result discover<posix_filesystem>(const std::string&, const discovery_options&,
                                                     const posix_filesystem&, discovery_cache*);
}  // namespace shardfit
