// The bodies of the files/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#ifndef SHARDFIT_COMPILED_LIB
#error "src/ builds shardfit::compiled: define SHARDFIT_COMPILED_LIB"
#endif

// clang's -Wdocumentation takes the `@tparam` of a template's comment for a misplaced one when
// the template is explicitly instantiated below (the comment is checked in every other file).
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wdocumentation"
#endif

#include <shardfit/files/discover-inl.hpp>
#include <shardfit/files/index_file-inl.hpp>
#include <shardfit/files/shard_name-inl.hpp>
#include <shardfit/files/shard_set-inl.hpp>

namespace shardfit {
template discovery_result discover<posix_filesystem>(const std::string&, const discovery_options&,
                                                     const posix_filesystem&, discovery_cache*);
}  // namespace shardfit
