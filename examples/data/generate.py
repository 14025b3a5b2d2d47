#!/usr/bin/env python3
"""Writes examples/data: cluster files and Hugging Face model directories that hold only
config.json and model.safetensors.index.json (what a scheduler sees before downloading).

The configs carry published architecture facts; the index lists every tensor of the
architecture with its shard, shards filled in order up to 5 GB as Hugging Face's
save_pretrained does, and metadata.total_size is the exact sum of the tensors' bytes (for
Llama-3.1-8B and -70B it equals the published total_size). Run from anywhere; the output is
deterministic. The tiny GGUF files are written by tests/tools/make_test_gguf (see README.md).
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def write(path, obj):
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def attention(p, h, q, kv):
    return [(p + "input_layernorm.weight", h), (p + "self_attn.q_proj.weight", q * h),
            (p + "self_attn.k_proj.weight", kv * h), (p + "self_attn.v_proj.weight", kv * h),
            (p + "self_attn.o_proj.weight", h * q)]


def llama_tensors(c):
    h, ff, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd = c.get("head_dim", h // c["num_attention_heads"])
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    t = [("model.embed_tokens.weight", v * h)]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t += attention(p, h, q, kv)
        t += [(p + "post_attention_layernorm.weight", h), (p + "mlp.gate_proj.weight", ff * h),
              (p + "mlp.up_proj.weight", ff * h), (p + "mlp.down_proj.weight", h * ff)]
    t += [("model.norm.weight", h)]
    if not c.get("tie_word_embeddings"):
        t += [("lm_head.weight", v * h)]
    return t


def qwen3_moe_tensors(c):
    h, v, e, mf = c["hidden_size"], c["vocab_size"], c["num_experts"], c["moe_intermediate_size"]
    hd = c["head_dim"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    t = [("model.embed_tokens.weight", v * h)]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t += attention(p, h, q, kv)
        t += [(p + "self_attn.q_norm.weight", hd), (p + "self_attn.k_norm.weight", hd),
              (p + "post_attention_layernorm.weight", h), (p + "mlp.gate.weight", e * h)]
        for x in range(e):
            ep = p + f"mlp.experts.{x}."
            t += [(ep + "gate_proj.weight", mf * h), (ep + "up_proj.weight", mf * h),
                  (ep + "down_proj.weight", h * mf)]
    t += [("model.norm.weight", h), ("lm_head.weight", v * h)]
    return t


listings = {}


def model_dir(name, config, tensors, dtype_bytes=2, shard_limit=5_000_000_000):
    shards, cur, size = [], [], 0  # shards: (tensor names, bytes of their data)
    for tname, n in tensors:
        b = n * dtype_bytes
        if cur and size + b > shard_limit:
            shards.append((cur, size))
            cur, size = [], 0
        cur.append(tname)
        size += b
    shards.append((cur, size))
    total = sum(n for _, n in tensors) * dtype_bytes
    files = [f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors" for k in range(len(shards))]
    weight_map = {t: f for f, (names, _) in zip(files, shards) for t in names}
    write(f"models/{name}/config.json", config)
    write(f"models/{name}/model.safetensors.index.json",
          {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    listing = [{"type": "file", "path": small,
                "size": os.path.getsize(os.path.join(HERE, f"models/{name}/{small}"))}
               for small in ("config.json", "model.safetensors.index.json")]
    listing += [{"type": "file", "path": f, "size": body + 8 + 128 * len(names)}
                for f, (names, body) in zip(files, shards)]
    listings[name] = listing
    return total


LLAMA_COMMON = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "hidden_act": "silu",
    "initializer_range": 0.02, "max_position_embeddings": 131072, "mlp_bias": False,
    "model_type": "llama", "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.43.0.dev0", "use_cache": True, "vocab_size": 128256}

llama8 = dict(LLAMA_COMMON, hidden_size=4096, intermediate_size=14336, num_attention_heads=32,
              num_hidden_layers=32, num_key_value_heads=8)
llama70 = dict(LLAMA_COMMON, hidden_size=8192, intermediate_size=28672, num_attention_heads=64,
               num_hidden_layers=80, num_key_value_heads=8)
qwen3moe = {
    "architectures": ["Qwen3MoeForCausalLM"], "attention_bias": False, "bos_token_id": 151643,
    "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 2048,
    "intermediate_size": 6144, "max_position_embeddings": 40960, "model_type": "qwen3_moe",
    "moe_intermediate_size": 768, "norm_topk_prob": True, "num_attention_heads": 32,
    "num_experts": 128, "num_experts_per_tok": 8, "num_hidden_layers": 48,
    "num_key_value_heads": 4, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 151936}
deepseek_r1_bf16 = {
    "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "hidden_size": 7168,
    "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61,
    "num_attention_heads": 128, "num_key_value_heads": 128, "n_routed_experts": 256,
    "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 3,
    "moe_layer_freq": 1, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 129280,
    "max_position_embeddings": 163840, "num_nextn_predict_layers": 1,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16"}

t8 = model_dir("Llama-3.1-8B-Instruct", llama8, llama_tensors(llama8))
# A hub listing (the shape of GET /api/models/<repo>/tree/main): names and sizes only; the
# shards' sizes are their tensors' bytes plus an estimated header, not the hub's own figures.
write("listings/Llama-3.1-8B-Instruct.json", listings["Llama-3.1-8B-Instruct"])
t70 = model_dir("Llama-3.1-70B-Instruct", llama70, llama_tensors(llama70))
assert t8 == 16060522496, t8      # published total_size
assert t70 == 141107412992, t70   # published total_size
model_dir("Qwen3-30B-A3B", qwen3moe, qwen3_moe_tensors(qwen3moe))
# DeepSeek-R1 in BF16: config only (its index would list ~90,000 tensors).
write("models/DeepSeek-R1-BF16/config.json", deepseek_r1_bf16)


def gpu(i, name, vram, used=None, vendor="nvidia"):
    g = {"index": i, "name": name, "vendor": vendor, "vram": vram}
    if used:
        g["vram_used"] = used
    return g


# A mixed lab: an A100 box (one GPU partly claimed), two 4090 workers (one busy), a 4080
# desktop, a CPU-only box; a shared NFS volume holds the 70B model.
write("clusters/lab.json", {
    "reserved": {"ram": "2GiB", "vram": "512MiB"},
    "volumes": [{"name": "nfs-models", "shared": True, "free": "4TB",
                 "models": [{"name": "Llama-3.1-70B-Instruct", "bytes": t70,
                             "path": "Llama-3.1-70B-Instruct"}]}],
    "workers": [
        {"name": "lab-a100", "address": "10.0.0.10", "ram": "512GiB", "ram_used": "24GiB",
         "disk_free": "2TB", "labels": {"rack": "r1", "zone": "a"},
         "mounts": [{"path": "/mnt/models", "volume": "nfs-models", "shared": True}],
         "gpus": [gpu(i, "A100-SXM4-80GB", "80GiB", "1GiB") for i in range(4)]},
        {"name": "lab-4090-a", "address": "10.0.0.21", "ram": "128GiB", "ram_used": "6GiB",
         "disk_free": "1TB", "labels": {"zone": "b"}, "mounts": [{"path": "/mnt/models", "volume": "nfs-models", "shared": True}],
         "gpus": [gpu(0, "RTX 4090", "24GiB", "300MiB"), gpu(1, "RTX 4090", "24GiB", "300MiB")]},
        {"name": "lab-4090-b", "address": "10.0.0.22", "ram": "128GiB", "ram_used": "40GiB",
         "disk_free": "800GB", "labels": {"zone": "b"},
         "gpus": [gpu(0, "RTX 4090", "24GiB", "9GiB"), gpu(1, "RTX 4090", "24GiB", "300MiB")]},
        {"name": "host4080", "address": "10.0.0.30", "ram": "64GiB", "ram_used": "8GiB",
         "uma": False, "disk_free": "500GB",
         "gpus": [gpu(0, "RTX 4080", "16GiB", "500MiB")]},
        {"name": "lab-cpu", "address": "10.0.0.40", "ram": "768GiB", "ram_used": "16GiB",
         "disk_free": "4TB"},
    ],
    "claims": [{"instance": "embeddings-1", "worker": "lab-a100", "gpu": 3, "vram": "20GiB",
                "ram": "4GiB"}],
})

# One box of eight 24 GB cards; an instance already holds GPU 7.
write("clusters/box-8x24.json", {
    "reserved": {"ram": "4GiB", "vram": "512MiB"},
    "workers": [{"name": "box8", "address": "10.1.0.2", "ram": "256GiB", "ram_used": "12GiB",
                 "disk_free": "3TB",
                 "gpus": [gpu(i, "RTX 3090", "24GiB", "250MiB") for i in range(8)]}],
    "claims": [{"instance": "chat-small", "worker": "box8", "gpu": 7, "vram": "18GiB"}],
})

# A large heterogeneous cluster: 40 workers of 4-8 GPUs, some of them partly in use.
rng = random.Random(20261121)
shapes = [("H200", "141GiB", 8, "2TiB", 2), ("H100-SXM5-80GB", "80GiB", 8, "2TiB", 10),
          ("A100-SXM4-40GB", "40GiB", 8, "1TiB", 10), ("L40S", "48GiB", 4, "512GiB", 10),
          ("RTX 4090", "24GiB", 8, "512GiB", 8)]
workers, claims = [], []
for name, vram, n, ram, count in shapes:
    for k in range(count):
        wname = f"{name.split('-')[0].replace(' ', '').lower()}-{k + 1:02d}"
        gpus = []
        for i in range(n):
            g = gpu(i, name, vram, "400MiB")
            gpus.append(g)
            if rng.random() < 0.2:
                claims.append({"instance": f"job-{len(claims) + 1}", "worker": wname, "gpu": i,
                               "vram": f"{rng.choice([4, 8, 12, 16, 20])}GiB"})
        workers.append({"name": wname, "ram": ram, "ram_used": f"{rng.choice([8, 16, 32, 64])}GiB",
                        "disk_free": "2TB", "gpus": gpus})
write("clusters/large.json", {"reserved": {"ram": "8GiB", "vram": "1GiB"},
                              "workers": workers, "claims": claims})
