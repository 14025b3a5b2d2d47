#pragma once

// A model of how ggml sizes a compute buffer: a graph of tensors (sizes, sources, views,
// in-place-capable ops, input and output flags) is ordered like ggml_build_forward_expand
// (depth-first, sources left to right) and allocated like ggml-alloc's graph allocator (inputs
// first; a node may take over a parent's memory when it is that parent's only consumer, the op
// can work in place, and the parent is memory the allocator owns (never a view);
// a tensor is freed when its last consumer ran; best-fit over free blocks, otherwise the end of
// the buffer grows). The buffer size is the highest offset reached. Facts from ggml-alloc.c
// (llama.cpp de3ff815); no code of it.

#include <cstdint>
#include <limits>
#include <shardfit/core/compiled.hpp>
#include <vector>

namespace shardfit::detail {

class sim_graph {
 public:
  using id = std::int32_t;
  static constexpr id none = -1;

  struct tensor {
    std::uint64_t size = 0;  // bytes (ignored for views and external tensors)
    id src[4] = {none, none, none, none};
    id view_src = none;     // root tensor whose memory a view uses
    bool op = true;         // false: a leaf (weight, input, cache)
    bool input = false;     // allocated before any node, freed after its last consumer
    bool output = false;    // never freed
    bool external = false;  // memory owned elsewhere (weights, KV cache)
    bool inplace = false;   // the op may overwrite a parent of the same size
  };

  // A weight or cache tensor: memory outside the compute buffer.
  id external();
  // A graph input of `size` bytes (tokens, positions, masks, indices).
  id input(std::uint64_t size) { return push({size, {none, none, none, none}, none, false, true}); }
  // An op producing `size` bytes from up to four sources.
  id op(std::uint64_t size, id a, id b = none, id c = none, id d = none, bool inplace = false);
  // A view (reshape, permute, view_Nd, set_rows result) of `a`, sharing its root's memory.
  id view(id a, id b = none, id c = none);
  void mark_output(id t) { t_[static_cast<std::size_t>(t)].output = true; }

  // Adds `t` and everything it depends on, in ggml's depth-first order.
  void expand(id t);

  // The buffer size ggml-alloc reaches for this graph, with offsets aligned to `alignment`.
  [[nodiscard]] std::uint64_t simulate(std::uint64_t alignment = 32) const;

 private:
  struct visit_state {
    bool visited = false;
  };
  id push(const tensor& t);
  id root(id a) const;
  visit_state& state(id t) { return visit_[static_cast<std::size_t>(t)]; }

  std::vector<tensor> t_;
  std::vector<visit_state> visit_;
  std::vector<id> nodes_;
  std::vector<id> leafs_;
};

// ggml's dynamic allocator over one buffer: free blocks kept sorted by offset, best fit among
// all blocks but the last, else the last block (which extends to the end of the buffer).
class sim_allocator {
 public:
  explicit sim_allocator(std::uint64_t alignment);

  std::uint64_t alloc(std::uint64_t size);

  void free(std::uint64_t at, std::uint64_t size);

  [[nodiscard]] std::uint64_t max_size() const noexcept { return max_; }

 private:
  struct block {
    std::uint64_t offset;
    std::uint64_t size;
  };
  std::uint64_t pad(std::uint64_t n) const noexcept { return (n + align_ - 1) / align_ * align_; }

  std::uint64_t align_;
  std::uint64_t max_ = 0;
  std::vector<block> blocks_;
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/detail/graph_sim-inl.hpp>
#endif
