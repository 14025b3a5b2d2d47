#pragma once

/// @file
/// @brief Forward declarations of shardfit's public types. Cheap to include.

namespace shardfit {

class bytes;
class byte_source;
class error;
enum class errc : int;
struct reason;
struct verdict;

struct file_stat;
struct dir_entry;
class posix_filesystem;
class listing_filesystem;

struct model_profile;
struct llama_settings;
class llama_estimator;
struct vllm_settings;
struct vllm_estimate;

struct cluster;
struct worker_info;
struct gpu_info;
struct filter_verdict;
struct placement;
struct plan_context;
struct score_card;

}  // namespace shardfit
