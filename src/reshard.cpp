// The bodies of the reshard/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/reshard/detail/stream_hash-inl.hpp>
#include <shardfit/reshard/detail/work_area-inl.hpp>
#include <shardfit/reshard/interrupt-inl.hpp>
#include <shardfit/reshard/reshard-inl.hpp>

namespace shardfit {
template reshard_plan plan_reshard<posix_filesystem>(const std::string&, const std::string&,
                                                     const reshard_options&,
                                                     const posix_filesystem&);
template reshard_result write_reshard<posix_filesystem>(const reshard_plan&, const reshard_options&,
                                                        const posix_filesystem&);
}  // namespace shardfit
