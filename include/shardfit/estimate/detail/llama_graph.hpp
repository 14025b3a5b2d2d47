#pragma once

// The worst-case graph llama.cpp reserves its compute buffers with (n_ubatch tokens against a
// full KV cache, every token an output), modelled for the llama family of architectures:
// the tensors each op allocates, their sources, which ops may work in place, the graph inputs
// (tokens, embeddings, positions, masks, KV indices, output ids). Facts from llama.cpp
// de3ff815 (llama-graph.cpp, models/llama.cpp, llama-kv-cache.cpp); no code of it.
//
// A segment of the graph can be built alone, as one backend sees it when the model is split
// across devices: with or without the input layer (token embeddings), the repeating layers, and
// the output layer (final norm and logits).

#include <shardfit/core/compiled.hpp>
#include <shardfit/estimate/detail/graph_sim.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace shardfit::detail {

// The shape of the reserve: sizes of everything that depends on the run settings.
struct reserve_shape {
  std::uint64_t n_tokens = 512;   // tokens of the ubatch (min(n_ctx, n_ubatch))
  std::uint64_t n_outputs = 512;  // output rows (min(n_tokens, n_batch))
  std::uint64_t n_kv = 4096;      // KV cells per stream of full-attention layers
  std::uint64_t n_kv_swa = 0;     // KV cells per stream of sliding-window layers
  std::uint64_t n_stream = 1;     // KV streams (n_seq without a unified cache)
  bool flash_attn = true;
  std::uint64_t latent_cell_bytes = 0;  // MLA: bytes of one cell's latent in the K cache
};

// The graph inputs of one KV cache: its mask and the K and V row indices of the stores.
struct cache_inputs {
  sim_graph::id mask, k_idxs, v_idxs;
};

// What a backend's part of the graph contains.
struct segment {
  bool input = true;        // the input layer (get_rows of the token embeddings)
  std::uint32_t first = 0;  // first repeating layer
  std::uint32_t count = 0;  // repeating layers (capped by the caller: the peak repeats)
  bool last_layer = false;  // includes the model's last repeating layer (out_ids selection)
  bool output = true;       // the output layer (final norm and logits)
  // Copies the scheduler keeps of the inputs a device receives (masks, positions, KV row
  // indices, output ids, the incoming residual stream). Above 1 (a pipeline) every copy is an
  // input and output leaf: allocated before anything else and never freed
  // (ggml-backend.cpp, ggml_backend_sched_split_graph).
  std::uint32_t copies = 1;
};

SHARDFIT_INLINE std::uint64_t f32_bytes(std::uint64_t elements);

// The attention block of a latent-attention (deepseek2) layer, from the normed input `cur`
// through the output projection, in either layout (llama.cpp de3ff815 src/models/deepseek2.cpp,
// llama_model_deepseek2::graph::graph; llama-graph.cpp, llm_graph_context::build_attn_mha).
// Q comes through the low-rank projection (attn_q_a, its norm, attn_q_b) or one attn_q; the
// compressed KV (attn_kv_a_mqa) is split into the latent (normed) and the rotary key part.
// MLA layout: the query's non-rotary part is absorbed into the latent (attn_k_b), K is the
// latent plus the rotary part (one head), V is a view of the K cache, and the attention output
// is decompressed per head (attn_v_b). Expanded layout: attn_kv_b decompresses the latent into
// full K and V heads, the rotary key part is repeated over the heads, and attention is ordinary
// multi-head attention over a K and a V cache.
SHARDFIT_INLINE sim_graph::id latent_attention(sim_graph& g, const model_profile& m,
                                               const reserve_shape& r, const layer_profile& L,
                                               sim_graph::id cur, sim_graph::id pos,
                                               const cache_inputs& c, std::uint64_t n_kv);

// A Mamba (v1) layer's mixer, from the normed input `cur` through the output projection
// (llama.cpp de3ff815 llm_graph_context_mamba::build_mamba_layer): the input projection to x
// and z, the causal convolution over the conv state and x (its last columns stored back), the
// selective scan over dt, B and C (its final states stored back), the skip term, the gate by z
// and the output projection.
SHARDFIT_INLINE sim_graph::id mamba_mixer(sim_graph& g, const model_profile& m,
                                          const reserve_shape& r, sim_graph::id cur);

// The peak bytes ggml-alloc reaches for `seg` of the model's worst-case graph.
SHARDFIT_INLINE std::uint64_t simulate_segment(const model_profile& m, const reserve_shape& r,
                                               const segment& seg);

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/detail/llama_graph-inl.hpp>
#endif
