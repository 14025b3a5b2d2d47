#pragma once

/// @file
/// @brief A shard set as plain data: its files, what is missing, duplicated or foreign, its size;
/// the result and options of discovery (`discover.hpp` finds the sets).

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/files/model_format.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief One file of a set.
struct shard_file {
  std::string path;         ///< the directory given to `discover` joined with the file name
  std::uint32_t index = 0;  ///< 1-based position in the set
  bytes size;               ///< apparent size
  bytes allocated;          ///< bytes allocated on disk (less than `size` for sparse files)
};

/// @brief Several files claiming the same shard index ("x-00002-of-00003" and "x-2-of-3").
struct shard_duplicate {
  std::uint32_t index = 0;
  std::vector<std::string> paths;  ///< every claimant except the one kept in `files`
};

/// @brief A file that looks like a member of a set but does not fit it, and why.
struct foreign_file {
  std::string path;
  std::string why;  ///< "index 4 past the set's 3 shards", "-of-00004 disagrees with 3 shards"
};

/// @brief What a set is fit for: `complete` (every shard present, every record agrees),
/// `incomplete` (shards missing), `truncated` (a file ends before the data its header
/// declares), `corrupt` (a header that does not parse, records that disagree).
enum class set_status : std::uint8_t { complete, incomplete, truncated, corrupt };

/// @brief "complete", "incomplete", "truncated" or "corrupt".
[[nodiscard]] constexpr std::string_view to_string(set_status s) noexcept {
  switch (s) {
    case set_status::complete:
      return "complete";
    case set_status::incomplete:
      return "incomplete";
    case set_status::truncated:
      return "truncated";
    case set_status::corrupt:
      return "corrupt";
  }
  return "corrupt";
}

/// @brief A model file set: every shard of one model in one format, or a single file.
struct shard_set {
  std::string name;       ///< the stem, relative to the discovered root ("Q4_K_M/model")
  std::string directory;  ///< the directory holding the set
  model_format format = model_format::gguf;
  std::uint32_t expected_shards = 0;   ///< n of "-of-n", or the files named by the index
  std::vector<shard_file> files;       ///< present shards, by index
  std::vector<std::uint32_t> missing;  ///< absent shard indices (1-based)
  std::vector<shard_duplicate> duplicates;
  std::vector<foreign_file> foreign;
  std::vector<shard_file> companions;     ///< multimodal projectors (mmproj) beside a GGUF set
  std::string index_path;                 ///< the weight index file, when the set has one
  std::optional<bytes> index_total_size;  ///< the index's `metadata.total_size` (tensor bytes)
  std::vector<std::string> problems;      ///< what makes the set inconsistent, in words
  bool truncated = false;                 ///< a file ends before its declared data (verified)
  bool verified = false;                  ///< every present shard's header was checked
  /// The index maps no tensors (its `weight_map` is empty or absent): only its
  /// `metadata.total_size` sizes the weights, and there is nothing to load yet.
  bool index_only = false;
  /// The Hugging Face repository ("org/name") when the set was found through a hub cache
  /// directory (`models--org--name/`), empty otherwise.
  std::string hub_repo;
  bytes total_bytes;      ///< sum of the apparent sizes of `files`
  bytes allocated_bytes;  ///< sum of the allocated sizes of `files`

  /// @brief Every shard is present and the set's own records agree (index, split metadata).
  [[nodiscard]] bool complete() const noexcept;
  /// @brief `complete`, `incomplete`, `truncated` or `corrupt` (missing shards first).
  [[nodiscard]] set_status status() const noexcept;
  /// @brief Number of shards present.
  [[nodiscard]] std::uint32_t present_shards() const noexcept;
  /// @brief Sum of the companions' apparent sizes (not part of `total_bytes`).
  [[nodiscard]] bytes companion_bytes() const;
};

/// @brief Something discovery noticed that is not part of any set (a symlink loop, a FIFO, an
/// unreadable subdirectory, a projector with no model).
struct discovery_problem {
  std::string path;
  std::string message;
};

/// @brief The sets found, sorted by name, and the problems met.
struct discovery_result {
  std::vector<shard_set> sets;
  std::vector<discovery_problem> problems;

  /// @brief True when every set is complete (and there is at least one).
  [[nodiscard]] bool all_complete() const noexcept;
};

/// @brief Options of `discover`.
struct discovery_options {
  /// @brief Also look into subdirectories (nested quant folders). Hidden ones (".git") are
  /// skipped, and a directory reached twice (through a link) is visited once.
  bool recursive = false;
  /// @brief In a Hugging Face cache repository directory (`models--org--name/`), the revision
  /// whose snapshot is read: a name under `refs/` ("main") or a commit hash.
  std::string revision = "main";
  /// @brief How deep `recursive` goes; deeper directories are reported, not entered.
  std::size_t max_depth = 32;
  /// @brief Largest index JSON read.
  std::size_t max_index_bytes = std::size_t{64} << 20U;
  /// @brief Largest shard count a set may claim; a name claiming more is reported as foreign
  /// instead of producing millions of "missing" entries.
  std::uint32_t max_shards_per_set = 100'000;
  /// @brief With a cache: re-stat every file of a cached directory too (catches a file changed
  /// in place, which leaves the directory's mtime alone), still skipping index reads.
  bool revalidate_files = false;
};

/// @brief Why a set cannot be used, in the words `inspect`, `estimate` and `plan` all print:
/// "shard set 'x' is truncated: <the first problem>" (empty when it is complete).
[[nodiscard]] SHARDFIT_INLINE std::string status_message(const shard_set& s);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/files/shard_set-inl.hpp>
#endif
