// The bodies of the model/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/model/detail/gguf_profile-inl.hpp>
#include <shardfit/model/detail/hf_profile-inl.hpp>
#include <shardfit/model/load-inl.hpp>
#include <shardfit/model/profile-inl.hpp>
#include <shardfit/model/tensor_names-inl.hpp>

namespace shardfit {
template model_profile profile_from_set<posix_filesystem>(const shard_set&, const load_options&,
                                                          const posix_filesystem&);
template model_profile load_model<posix_filesystem>(const std::string&, const load_options&,
                                                    const posix_filesystem&);
}  // namespace shardfit
