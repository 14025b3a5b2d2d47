#pragma once

// The bodies of <shardfit/estimate/detail/graph_sim.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/detail/graph_sim.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE auto sim_graph::external() -> id {
  return push({0, {none, none, none, none}, none, false, false, false, true, false});
}

SHARDFIT_INLINE auto sim_graph::op(std::uint64_t size, id a, id b, id c, id d, bool inplace) -> id {
  return push({size, {a, b, c, d}, none, true, false, false, false, inplace});
}

SHARDFIT_INLINE auto sim_graph::view(id a, id b, id c) -> id {
  tensor t;
  t.src[0] = a;
  t.src[1] = b;
  t.src[2] = c;
  t.view_src = root(a);
  t.size = t_[static_cast<std::size_t>(t.view_src)].size;
  return push(t);
}

SHARDFIT_INLINE void sim_graph::expand(id t) {
  std::vector<std::pair<id, int>> stack{{t, 0}};
  while (!stack.empty()) {
    auto& [cur, next] = stack.back();
    auto& st = state(cur);
    if (next == 0) {
      if (st.visited) {
        stack.pop_back();
        continue;
      }
      st.visited = true;
    }
    if (next < 4) {
      const id s = t_[static_cast<std::size_t>(cur)].src[next++];
      if (s != none && !state(s).visited) stack.emplace_back(s, 0);
      continue;
    }
    (t_[static_cast<std::size_t>(cur)].op ? nodes_ : leafs_).push_back(cur);
    stack.pop_back();
  }
}

SHARDFIT_INLINE auto sim_graph::push(const tensor& t) -> id {
  t_.push_back(t);
  visit_.push_back({});
  return static_cast<id>(t_.size() - 1);
}

SHARDFIT_INLINE auto sim_graph::root(id a) const -> id {
  const auto& t = t_[static_cast<std::size_t>(a)];
  return t.view_src != none ? t.view_src : a;
}

SHARDFIT_INLINE sim_allocator::sim_allocator(std::uint64_t alignment) : align_(alignment) {
  blocks_.push_back({0, std::numeric_limits<std::uint64_t>::max() / 2});
}

SHARDFIT_INLINE std::uint64_t sim_allocator::alloc(std::uint64_t size) {
  size = pad(size);
  std::size_t best = blocks_.size();
  std::uint64_t best_size = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t i = 0; i + 1 < blocks_.size(); ++i) {
    if (blocks_[i].size >= size && blocks_[i].size <= best_size) {
      best = i;
      best_size = blocks_[i].size;
    }
  }
  if (best == blocks_.size()) best = blocks_.size() - 1;
  block& b = blocks_[best];
  const std::uint64_t at = b.offset;
  b.offset += size;
  b.size -= size;
  if (b.size == 0) blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(best));
  if (at + size > max_) max_ = at + size;
  return at;
}

SHARDFIT_INLINE void sim_allocator::free(std::uint64_t at, std::uint64_t size) {
  size = pad(size);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    block& b = blocks_[i];
    if (b.offset + b.size == at) {  // ends where the freed range starts
      b.size += size;
      if (i + 1 < blocks_.size() && b.offset + b.size == blocks_[i + 1].offset) {
        b.size += blocks_[i + 1].size;
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      }
      return;
    }
    if (at + size == b.offset) {  // starts where the freed range ends
      b.offset = at;
      b.size += size;
      if (i > 0 && blocks_[i - 1].offset + blocks_[i - 1].size == b.offset) {
        blocks_[i - 1].size += b.size;
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i));
      }
      return;
    }
  }
  std::size_t pos = 0;
  while (pos < blocks_.size() && blocks_[pos].offset < at) ++pos;
  blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(pos), {at, size});
}

SHARDFIT_INLINE std::uint64_t sim_graph::simulate(std::uint64_t alignment) const {
  struct slot {
    int children = 0;
    int views = 0;
    bool allocated = false;
    bool own = false;
    std::uint64_t addr = 0;
  };
  sim_allocator a(alignment);
  std::vector<slot> s(t_.size());
  auto is_view = [&](id t) { return t_[static_cast<std::size_t>(t)].view_src != none; };
  auto at = [&](id t) -> slot& { return s[static_cast<std::size_t>(t)]; };
  auto tensor_of = [&](id t) -> const tensor& { return t_[static_cast<std::size_t>(t)]; };

  auto allocate = [&](id t) {
    slot& h = at(t);
    const tensor& x = tensor_of(t);
    if (h.allocated || h.own || is_view(t) || x.external) return;
    h.allocated = true;
    h.own = true;
    // In place: take over a parent's memory when this node is its only consumer. The parent
    // must be memory this allocator owns (so never a view, weight or cache) and not an output.
    if (x.inplace) {
      for (const id p : x.src) {
        if (p == none || is_view(p)) continue;
        const tensor& px = tensor_of(p);
        slot& ph = at(p);
        if (px.external || px.output || !ph.allocated || px.size != x.size) continue;
        if (ph.children != 1 || ph.views != 0) continue;
        h.addr = ph.addr;
        ph.allocated = false;  // the node now owns the memory; the parent is not freed
        return;
      }
    }
    h.addr = a.alloc(x.size);
  };
  auto release = [&](id t) {
    if (tensor_of(t).output) return;
    slot& h = at(t);
    a.free(h.addr, tensor_of(t).size);
    h.allocated = false;
  };

  for (const id l : leafs_) {
    if (tensor_of(l).input) allocate(l);
  }
  for (const id n : nodes_) {
    if (is_view(n)) ++at(tensor_of(n).view_src).views;
    for (const id p : tensor_of(n).src) {
      if (p == none) continue;
      ++at(p).children;
      if (tensor_of(p).input) allocate(p);
    }
  }
  for (const id n : nodes_) {
    for (const id p : tensor_of(n).src) {
      if (p != none) allocate(p);
    }
    allocate(n);
    for (const id p : tensor_of(n).src) {
      if (p == none) continue;
      slot& ph = at(p);
      if (--ph.children != 0 || ph.views != 0) continue;
      if (is_view(p)) {
        const id root_id = tensor_of(p).view_src;
        slot& vs = at(root_id);
        if (--vs.views == 0 && vs.children == 0 && vs.allocated) release(root_id);
      } else if (ph.allocated) {
        release(p);
      }
    }
  }
  return a.max_size();
}

}  // namespace shardfit::detail
