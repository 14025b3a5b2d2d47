#pragma once

// The bodies of <shardfit/estimate/detail/llama_graph.hpp>: included by it (header-only, the
// default) or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/detail/llama_graph.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE std::uint64_t f32_bytes(std::uint64_t elements) {
  return elements * 4;
}

SHARDFIT_INLINE sim_graph::id latent_attention(sim_graph& g, const model_profile& m,
                                               const reserve_shape& r, const layer_profile& L,
                                               sim_graph::id cur, sim_graph::id pos,
                                               const cache_inputs& c, std::uint64_t n_kv) {
  constexpr auto none = sim_graph::none;
  const std::uint64_t T = r.n_tokens;
  const std::uint64_t H = L.n_head;
  const std::uint64_t kvr = m.kv_lora_rank;
  const std::uint64_t rot = m.rope_dim;
  const std::uint64_t dk = m.qk_nope_dim + rot;
  const std::uint64_t dv = m.head_dim_v;
  const bool mla = m.is_mla();

  sim_graph::id q = none;
  if (m.q_lora_rank != 0) {
    const std::uint64_t qr = m.q_lora_rank;
    auto qa = g.op(f32_bytes(qr * T), g.external(), cur);
    qa = g.op(f32_bytes(qr * T), qa, none, none, none, true);          // rms_norm
    qa = g.op(f32_bytes(qr * T), qa, g.external(), none, none, true);  // x norm weight
    q = g.op(f32_bytes(H * dk * T), g.external(), qa);
  } else {
    q = g.op(f32_bytes(H * dk * T), g.external(), cur);
  }
  const auto q3 = g.view(q);
  const auto kv_pe = g.op(f32_bytes((kvr + rot) * T), g.external(), cur);
  const auto k_pe = g.op(f32_bytes(rot * T), g.view(kv_pe), pos);  // rope of the rotary part
  auto latent = g.op(f32_bytes(kvr * T), g.view(kv_pe));           // rms_norm of the latent
  latent = g.op(f32_bytes(kvr * T), latent, g.external(), none, none, true);

  const auto kcache = g.external();
  sim_graph::id attn = none;
  if (mla) {
    const auto q_pe = g.op(f32_bytes(rot * H * T), g.view(q3), pos);
    const auto q_abs = g.op(f32_bytes(kvr * T * H), g.external(), g.view(g.view(q3)));
    const auto qcur = g.op(f32_bytes((kvr + rot) * H * T), g.view(q_abs), q_pe);  // concat
    const auto kcur = g.op(f32_bytes((kvr + rot) * T), g.view(latent), k_pe);     // concat
    g.expand(qcur);
    g.expand(kcur);
    g.expand(g.view(kcache, g.view(kcur), c.k_idxs));  // set_rows into the K cache
    const auto qp = g.view(qcur);
    const auto kp = g.view(g.view(kcache));
    const auto vp = g.view(g.view(kcache));  // V is the latent part of the K cache
    if (r.flash_attn) {
      auto o = g.op(f32_bytes(kvr * H * T), qp, kp, vp, c.mask);
      o = g.op(f32_bytes(dv * T * H), g.external(), g.view(o));  // x attn_v_b
      attn = g.view(g.op(f32_bytes(dv * H * T), g.view(o)));     // cont
    } else {
      const auto kq = g.op(f32_bytes(n_kv * T * H), kp, qp);
      const auto sm = g.op(f32_bytes(n_kv * T * H), kq, c.mask, none, none, true);
      const auto vt = g.op(n_kv * r.latent_cell_bytes * r.n_stream, g.view(vp));  // cont
      auto kqv = g.op(f32_bytes(kvr * T * H), vt, sm);
      kqv = g.op(f32_bytes(dv * T * H), g.external(), kqv);  // x attn_v_b
      attn = g.op(f32_bytes(dv * H * T), g.view(kqv));       // cont_2d
    }
  } else {
    const auto kv = g.op(f32_bytes(H * (m.qk_nope_dim + dv) * T), g.external(), latent);
    const auto vcur = g.op(f32_bytes(dv * H * T), g.view(kv));         // cont
    const auto qcur = g.op(f32_bytes(H * dk * T), q3, pos);            // rope of the rotary tail
    const auto k_rep = g.op(f32_bytes(rot * H * T), k_pe);             // repeat over the heads
    const auto kcur = g.op(f32_bytes(dk * H * T), g.view(kv), k_rep);  // concat
    g.expand(qcur);
    g.expand(vcur);
    g.expand(kcur);
    const auto vcache = g.external();
    g.expand(g.view(kcache, g.view(kcur), c.k_idxs));
    g.expand(g.view(vcache, g.view(vcur), c.v_idxs));
    const auto qp = g.view(qcur);
    const auto kp = g.view(g.view(kcache));
    const auto vp = g.view(g.view(vcache));
    if (r.flash_attn) {
      attn = g.view(g.op(f32_bytes(dv * H * T), qp, kp, vp, c.mask));
    } else {
      const auto kq = g.op(f32_bytes(n_kv * T * H), kp, qp);
      const auto sm = g.op(f32_bytes(n_kv * T * H), kq, c.mask, none, none, true);
      const auto kqv = g.op(f32_bytes(dv * T * H), vp, sm);
      attn = g.op(f32_bytes(dv * H * T), g.view(kqv));  // cont_2d
    }
  }
  return g.op(f32_bytes(m.n_embd * T), g.external(), attn);  // output projection
}

SHARDFIT_INLINE sim_graph::id mamba_mixer(sim_graph& g, const model_profile& m,
                                          const reserve_shape& r, sim_graph::id cur) {
  constexpr auto none = sim_graph::none;
  const std::uint64_t T = r.n_tokens;
  const std::uint64_t S = r.n_stream;  // sequences in the ubatch
  const std::uint64_t di = m.ssm_inner;
  const std::uint64_t ds = m.ssm_state;
  const std::uint64_t dc = m.ssm_conv;
  const std::uint64_t dt_rank = m.ssm_dt_rank;
  const auto copy_ids = g.input(S * 4);
  const auto conv_states = g.external();
  const auto conv = g.op(f32_bytes((dc > 0 ? dc - 1 : 0) * di * S), conv_states, copy_ids);
  const auto xz = g.op(f32_bytes(2 * di * T), g.external(), g.view(cur));
  const auto conv_x =
      g.op(f32_bytes(((dc > 0 ? dc - 1 : 0) + T / S) * di * S), g.view(conv), g.view(g.view(xz)));
  g.expand(g.op(0, g.view(conv_x), g.view(conv_states)));          // store the last columns
  auto x = g.op(f32_bytes(di * T), conv_x, g.external());          // ssm_conv
  x = g.op(f32_bytes(di * T), x, g.external(), none, none, true);  // + bias
  x = g.op(f32_bytes(di * T), x, none, none, none, true);          // silu
  const auto x_db = g.op(f32_bytes((dt_rank + 2 * ds) * T), g.external(), x);
  auto dt = g.op(f32_bytes(di * T), g.external(), g.view(x_db));
  dt = g.op(f32_bytes(di * T), dt, g.external(), none, none, true);  // + bias
  const auto ssm_states = g.external();
  const auto y_ssm =
      g.op(f32_bytes(di * T + ds * di * S), g.view(ssm_states), g.view(x), dt, g.view(x_db));
  g.expand(y_ssm);
  g.expand(g.op(0, g.view(y_ssm), g.view(ssm_states)));      // store the final states
  const auto xd = g.op(f32_bytes(di * T), x, g.external());  // x * D
  auto y = g.op(f32_bytes(di * T), g.view(y_ssm), xd, none, none, true);
  const auto zc = g.op(f32_bytes(di * T), g.view(xz));  // cont(z)
  y = g.op(f32_bytes(di * T), zc, y);                   // swiglu_split
  return g.op(f32_bytes(m.n_embd * T), g.external(), y);
}

SHARDFIT_INLINE std::uint64_t simulate_segment(const model_profile& m, const reserve_shape& r,
                                               const segment& seg) {
  sim_graph g;
  const std::uint64_t T = r.n_tokens;
  const std::uint64_t E = m.n_embd;
  const bool has_swa =
      std::any_of(m.layers.begin(), m.layers.end(), [](const layer_profile& l) { return l.swa; });
  const std::uint64_t mask_elem = r.flash_attn ? 2 : 4;  // f16 mask with flash attention
  // An input of `bytes`, held `seg.copies` times and for the whole graph when copied for a
  // pipeline (a device's inputs; the host's own inputs are counted by the estimator).
  auto copied_input = [&](std::uint64_t bytes) {
    if (seg.input || seg.copies <= 1) return g.input(bytes);
    const auto t = g.input(bytes * seg.copies);
    g.mark_output(t);
    return t;
  };

  // The residual stream entering the segment.
  sim_graph::id inpL = sim_graph::none;
  if (seg.input) {
    const auto tokens = g.input(T * 4);
    const auto embd_in = g.input(f32_bytes(E * T));       // the vector-embeddings input path
    inpL = g.op(f32_bytes(E * T), g.external(), tokens);  // get_rows(tok_embd, tokens)
    g.expand(inpL);
    g.expand(embd_in);
  } else if (seg.count != 0 || seg.output) {
    inpL = copied_input(f32_bytes(E * T));  // copied in from the previous backend
  }

  if (seg.count != 0) {
    const auto pos = copied_input(T * 4);
    const bool mla = m.is_mla();
    // One mask, one pair of index inputs per KV cache (the SWA cache has its own).
    std::uint64_t v_max = 0;
    for (const auto& l : m.layers) v_max = std::max<std::uint64_t>(v_max, l.v_per_token);
    auto make_cache_inputs = [&](std::uint64_t n_kv) {
      cache_inputs c{};
      c.k_idxs = copied_input(T * 8);
      // without flash attention the V cache is transposed and indexed per element
      c.v_idxs = mla ? sim_graph::none : copied_input(r.flash_attn ? T * 8 : T * v_max * 8);
      c.mask = copied_input(n_kv * T * mask_elem);
      return c;
    };
    const cache_inputs full = make_cache_inputs(r.n_kv);
    const cache_inputs swa = has_swa ? make_cache_inputs(r.n_kv_swa) : full;
    const auto out_ids = seg.last_layer ? copied_input(r.n_outputs * 4) : sim_graph::none;

    for (std::uint32_t i = 0; i < seg.count; ++i) {
      const std::uint32_t il = std::min<std::uint32_t>(seg.first + i, m.n_layer - 1);
      const layer_profile& L = m.layers[il];
      const bool last = seg.last_layer && i + 1 == seg.count;
      const std::uint64_t n_out = last ? r.n_outputs : T;
      const auto inpSA = inpL;
      auto cur =
          g.op(f32_bytes(E * T), inpL, sim_graph::none, sim_graph::none, sim_graph::none, true);
      cur = g.op(f32_bytes(E * T), cur, g.external(), sim_graph::none, sim_graph::none, true);

      if (L.recurrent && m.ssm_inner != 0 && m.ssm_groups == 0) {
        cur = mamba_mixer(g, m, r, cur);
      } else if (L.recurrent) {
        // Other recurrent mixing (Mamba-2, RWKV): the projections and the scan output, modelled
        // as three activations of the inner width.
        const std::uint64_t inner =
            std::max<std::uint64_t>(E * 2, L.s_state / std::max<std::uint64_t>(1, E));
        auto x = g.op(f32_bytes(inner * T), g.external(), cur);
        auto y = g.op(f32_bytes(inner * T), x, g.external());
        cur = g.op(f32_bytes(E * T), g.external(), y);
      } else if (m.kv_lora_rank != 0) {
        cur =
            latent_attention(g, m, r, L, cur, pos, L.swa ? swa : full, L.swa ? r.n_kv_swa : r.n_kv);
      } else {
        const cache_inputs& c = L.swa ? swa : full;
        const std::uint64_t n_kv = L.swa ? r.n_kv_swa : r.n_kv;
        const std::uint64_t heads = L.n_head;
        const std::uint64_t q_per_token = mla ? heads * L.k_per_token : heads * m.head_dim_k;
        const auto q = g.op(f32_bytes(q_per_token * T), g.external(), cur);
        const auto v =
            mla ? sim_graph::none : g.op(f32_bytes(L.v_per_token * T), g.external(), cur);
        const auto k = g.op(f32_bytes(L.k_per_token * T), g.external(), cur);
        // RoPE reads reshaped views, so it never works in place.
        const auto q_rope = g.op(q_per_token * T * 4, g.view(q), pos);
        const auto k_rope = g.op(L.k_per_token * T * 4, g.view(k), pos);
        // llama.cpp expands Q, then V, then K, so that the stores to the cache stay together.
        g.expand(q_rope);
        const auto v_3d = v != sim_graph::none ? g.view(v) : sim_graph::none;
        if (v_3d != sim_graph::none) g.expand(v_3d);
        g.expand(k_rope);
        const auto kcache = g.external();
        const auto vcache = g.external();
        g.expand(g.view(kcache, g.view(k_rope), c.k_idxs));  // set_rows into the K cache
        if (v_3d != sim_graph::none) g.expand(g.view(vcache, g.view(v_3d), c.v_idxs));
        const auto qp = g.view(g.view(q_rope));
        const auto kp = g.view(g.view(kcache));
        const auto vp = g.view(g.view(mla ? kcache : vcache));
        const std::uint64_t v_head = mla ? m.kv_lora_rank : m.head_dim_v;
        sim_graph::id attn = sim_graph::none;
        if (r.flash_attn) {
          auto o = g.op(f32_bytes(v_head * heads * T), qp, kp, vp, c.mask);
          if (mla) {  // the latent is decompressed per head after attention
            o = g.op(f32_bytes(m.head_dim_v * heads * T), g.external(), g.view(o));
            o = g.op(f32_bytes(m.head_dim_v * heads * T), g.view(o));
          }
          attn = g.view(o);
        } else {
          const auto kq = g.op(f32_bytes(n_kv * T * heads), kp, qp);
          const auto sm =
              g.op(f32_bytes(n_kv * T * heads), kq, c.mask, sim_graph::none, sim_graph::none, true);
          auto kqv = g.op(f32_bytes(v_head * T * heads), vp, sm);
          if (mla) kqv = g.op(f32_bytes(m.head_dim_v * T * heads), g.external(), kqv);
          attn = g.op(f32_bytes((mla ? m.head_dim_v : v_head) * heads * T), g.view(kqv));
        }
        cur = g.op(f32_bytes(E * T), g.external(), attn);  // output projection
      }

      auto residual = inpSA;
      if (last) {
        cur = g.op(f32_bytes(E * n_out), cur, out_ids);
        residual = g.op(f32_bytes(E * n_out), inpSA, out_ids);
      }
      if (m.n_ff == 0 && m.n_expert == 0) {  // no FFN (Mamba): the residual, the next layer
        inpL = g.op(f32_bytes(E * n_out), cur, residual, sim_graph::none, sim_graph::none, true);
        g.expand(inpL);
        continue;
      }
      const auto ffn_inp =
          g.op(f32_bytes(E * n_out), cur, residual, sim_graph::none, sim_graph::none, true);
      auto x = g.op(f32_bytes(E * n_out), ffn_inp, sim_graph::none, sim_graph::none,
                    sim_graph::none, true);
      x = g.op(f32_bytes(E * n_out), x, g.external(), sim_graph::none, sim_graph::none, true);
      const bool moe = L.expert_weights.count() != 0 && m.n_expert != 0;
      sim_graph::id ffn_out = sim_graph::none;
      if (moe) {
        const std::uint64_t ne = m.n_expert;
        const std::uint64_t nu = std::max<std::uint32_t>(1, m.n_expert_used);
        const std::uint64_t fe = m.n_ff_expert != 0 ? m.n_ff_expert : m.n_ff;
        // llama-graph.cpp, llm_graph_context::build_moe_ffn: gating (softmax or sigmoid), a
        // selection bias, top-k, the chosen weights, then their normalization and scale.
        auto logits = g.op(f32_bytes(ne * n_out), g.external(), x);
        auto probs = g.op(f32_bytes(ne * n_out), logits, sim_graph::none, sim_graph::none,
                          sim_graph::none, true);
        const auto selection =
            m.expert_probs_bias ? g.op(f32_bytes(ne * n_out), probs, g.external()) : probs;
        const auto order = g.op(ne * n_out * 4, selection);                   // argsort (i32)
        const auto selected = g.view(order);                                  // top-k
        auto weights = g.op(f32_bytes(nu * n_out), g.view(probs), selected);  // get_rows
        if (m.expert_weights_norm) {
          const auto sum = g.op(f32_bytes(n_out), g.view(weights));                 // sum_rows
          const auto clamped = g.op(f32_bytes(n_out), sum);                         // clamp
          weights = g.view(g.op(f32_bytes(nu * n_out), g.view(weights), clamped));  // div
        }
        if (m.expert_weights_scale != 0 && m.expert_weights_scale != 1) {
          weights = g.op(f32_bytes(nu * n_out), weights, sim_graph::none, sim_graph::none,
                         sim_graph::none, true);  // scale
        }
        const auto up = g.op(f32_bytes(fe * nu * n_out), g.external(), x, selected);
        const auto gate = g.op(f32_bytes(fe * nu * n_out), g.external(), x, selected);
        const auto act = g.op(f32_bytes(fe * nu * n_out), gate, up);
        auto experts = g.op(f32_bytes(E * nu * n_out), g.external(), act, selected);
        experts = g.op(f32_bytes(E * nu * n_out), experts, weights, sim_graph::none,
                       sim_graph::none, true);
        ffn_out = g.op(f32_bytes(E * n_out), g.view(experts), g.view(experts));  // sum over experts
        if (m.n_expert_shared != 0) {
          const std::uint64_t fs = fe * m.n_expert_shared;
          const auto su = g.op(f32_bytes(fs * n_out), g.external(), x);
          const auto sg = g.op(f32_bytes(fs * n_out), g.external(), x);
          const auto sa = g.op(f32_bytes(fs * n_out), sg, su);
          const auto sd = g.op(f32_bytes(E * n_out), g.external(), sa);
          ffn_out = g.op(f32_bytes(E * n_out), ffn_out, sd, sim_graph::none, sim_graph::none, true);
        }
      } else {
        const std::uint64_t F = m.n_ff;
        const auto up = g.op(f32_bytes(F * n_out), g.external(), x);
        const auto gate = g.op(f32_bytes(F * n_out), g.external(), x);
        const auto act = g.op(f32_bytes(F * n_out), gate, up);  // swiglu: not in place
        ffn_out = g.op(f32_bytes(E * n_out), g.external(), act);
      }
      inpL = g.op(f32_bytes(E * n_out), ffn_out, ffn_inp, sim_graph::none, sim_graph::none, true);
      g.expand(inpL);
    }
  }

  if (seg.output && inpL != sim_graph::none) {
    const std::uint64_t rows = (seg.count != 0 && seg.last_layer) || !seg.input ? r.n_outputs : T;
    auto x =
        g.op(f32_bytes(E * rows), inpL, sim_graph::none, sim_graph::none, sim_graph::none, true);
    x = g.op(f32_bytes(E * rows), x, g.external(), sim_graph::none, sim_graph::none, true);
    g.mark_output(x);  // result_norm (the embeddings output)
    const auto logits =
        g.op(f32_bytes(static_cast<std::uint64_t>(m.n_vocab) * r.n_outputs), g.external(), x);
    g.mark_output(logits);
    g.expand(logits);
  }
  return g.simulate(32);
}

}  // namespace shardfit::detail
