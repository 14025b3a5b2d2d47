"""The Python module against the seed cases and its own contract (run by CTest)."""
import json
import os
import pathlib
import subprocess
import threading

import pytest

import shardfit

SRC = pathlib.Path(os.environ.get("SHARDFIT_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
DATA = SRC / "examples" / "data"
MODELS = DATA / "models"
LAB = DATA / "clusters" / "lab.json"

GEMMA3_27B = {
    "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
    "text_config": {
        "model_type": "gemma3_text", "hidden_size": 5376, "intermediate_size": 21504,
        "num_hidden_layers": 62, "num_attention_heads": 32, "num_key_value_heads": 16,
        "head_dim": 128, "vocab_size": 262208, "sliding_window": 1024,
        "sliding_window_pattern": 6, "max_position_embeddings": 131072},
    "vision_config": {
        "model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304,
        "num_hidden_layers": 27, "num_attention_heads": 16, "image_size": 896, "patch_size": 14},
    "torch_dtype": "bfloat16"}


def gpu(index, name, vram):
    return {"index": index, "name": name, "vram": vram}


def worker(name, ram, gpus, **extra):
    return {"name": name, "address": name, "ram": ram, "gpus": gpus, **extra}


def test_version_and_errors_are_classes():
    assert shardfit.__version__.count(".") == 2
    assert issubclass(shardfit.NotFound, shardfit.Error)
    assert issubclass(shardfit.Error, RuntimeError)


def test_inspect_sizes_a_split_gguf_as_the_sum_of_its_shards():
    found = shardfit.inspect(str(MODELS / "tiny-moe-split"))
    (s,) = found["sets"]
    files = sorted((MODELS / "tiny-moe-split").iterdir())
    assert s["complete"] is True
    assert s["status"] == "complete"
    assert s["total_bytes"] == sum(f.stat().st_size for f in files)
    assert len(s["files"]) == 2


def test_load_model_and_its_profile():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-8B-Instruct"))
    assert (m.architecture, m.layers, m.source) == ("llama", 32, "config")
    # One layer in bf16: q and o 4096 x 4096, k and v 4096 x 1024, the MLP 3 x 4096 x 14336,
    # two norms of 4096.
    per_layer = 2 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096)
    assert len(m.layer_bytes) == 32 and m.layer_bytes[0] == per_layer == 436224000
    d = m.to_dict()
    assert d["name"] == m.name
    with pytest.raises(shardfit.NotFound) as e:
        shardfit.load_model(str(MODELS / "no-such-model"))
    assert "no-such-model" in str(e.value)


def test_estimate_llama_and_vllm():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-8B-Instruct"))
    e = shardfit.estimate(m, gpus=["24GiB", "16GiB"], ctx=16384)
    assert [d["device"] for d in e["devices"]] == ["cpu", "gpu0", "gpu1"]
    assert e["n_ctx"] == 16384
    assert e["offloaded_layers"] == 32
    # KV cache: 32 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes x 16384 tokens.
    assert sum(d["kv_bytes"] for d in e["devices"]) == 32 * 8 * 128 * 2 * 2 * 16384
    v = shardfit.estimate(m, "vllm", tp=2, max_model_len=8192, gpus=["24GiB"])
    assert v["parallel"]["valid"] is True and v["max_model_len"] == 8192
    assert len(v["stages"]) == 1
    with pytest.raises(shardfit.InvalidArgument, match="unknown value 'sideways'"):
        shardfit.estimate(m, flash_attn="sideways")
    # Every llama.cpp setting is a keyword: a 3:1 split of the 33 offloaded layers (32 and the
    # output) puts repeating layers 0-24 on the first GPU, as llama.cpp's cumulative split does.
    split = shardfit.estimate(m, gpus=["24GiB", "24GiB"], tensor_split=[3, 1])
    assert [d["layers"] for d in split["devices"][1:]] == [25, 7]
    with pytest.raises(shardfit.InvalidArgument, match="'tensor_splt': is not a known key"):
        shardfit.estimate(m, tensor_splt=[3, 1])


def test_check_parallel_gemma3_refuses_three_and_offers_the_nearest(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(GEMMA3_27B))
    m = shardfit.load_model(str(tmp_path))
    c = shardfit.check_parallel(m, 3)
    assert c["valid"] is False
    assert c["reasons"][0] == {
        "rule": "tp.attention_heads",
        "message": "32 attention heads are not divisible by tensor parallel size 3"}
    assert {"tp": 1, "pp": 3, "gpus": 3} in c["suggestions"]
    assert 3 not in c["valid_tp"] and 2 in c["valid_tp"] and 4 in c["valid_tp"]
    assert shardfit.check_parallel(m, 4)["valid"] is True


def test_plan_never_makes_a_worker_that_cannot_hold_one_layer_main():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-8B-Instruct"))
    cluster = {"workers": [
        worker("tiny", "64GiB", [gpu(0, "GT 1030", "2GiB")]),
        worker("big", "64GiB", [gpu(0, "RTX 4090", "24GiB")])]}
    r = shardfit.plan(m, cluster, backend="llama.cpp")
    assert r["status"] == "planned"
    assert [w["name"] for w in r["placement"]["workers"]] == ["big"]
    assert r["placement"]["context"] == 4096


def test_plan_gemma3_on_three_gpus_is_never_tp3(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(GEMMA3_27B))
    m = shardfit.load_model(str(tmp_path))
    cluster = {"workers": [worker("w", "256GiB", [gpu(i, "L4", "24GiB") for i in range(3)])]}
    r = shardfit.plan(m, cluster, backend="vllm", ctx=8192)
    assert r["status"] == "planned"
    p = r["placement"]
    assert (p["tensor_parallel"], p["pipeline_parallel"]) != (3, 1)
    assert p["tensor_parallel"] * p["pipeline_parallel"] == 3
    assert any(x["rule"] == "tp.attention_heads" and x.get("tp") == 3 for x in r["rejected"])


def test_plan_reads_from_the_shared_volume():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-70B-Instruct"))
    r = shardfit.plan(m, str(LAB))
    assert r["status"] == "planned"
    assert r["placement"]["storage"]["copies"] == 1
    assert r["placement"]["storage"]["download_bytes"] == 0
    assert r["placement"]["storage"]["workers"][0]["source"] == "shared:nfs-models"
    # The same answer as the tool's.
    tool = os.environ.get("SHARDFIT_TEST_TOOL")
    if tool:
        out = subprocess.run([tool, "plan", str(MODELS / "Llama-3.1-70B-Instruct"), "--cluster",
                              str(LAB), "--json"], check=True, capture_output=True, text=True)
        doc = json.loads(out.stdout)
        assert doc["placement"]["workers"] == r["placement"]["workers"]
        assert doc["rejected"] == r["rejected"]


def test_a_python_inventory_and_a_python_scorer():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-8B-Instruct"))

    class Inventory:
        calls = 0

        def snapshot(self):
            Inventory.calls += 1
            return {"workers": [
                worker("box-b", "128GiB", [gpu(0, "RTX 4090", "24GiB")], labels={"zone": "b"}),
                worker("box-a", "128GiB", [gpu(0, "RTX 4090", "24GiB")], labels={"zone": "a"})]}

    seen = []

    def prefer_zone_a(placement, context):
        seen.append((placement["workers"][0]["name"], context["engine"]))
        return 100.0 if placement["workers"][0]["name"] == "box-a" else 0.0

    inv = Inventory()
    plain = shardfit.plan(m, inv, backend="llama.cpp")
    assert plain["placement"]["workers"][0]["name"] == "box-b"  # inventory order
    r = shardfit.plan(m, inv, scorer=prefer_zone_a, scorer_weight=100, backend="llama.cpp")
    assert r["placement"]["workers"][0]["name"] == "box-a"
    assert r["placement"]["score_breakdown"]["python"] == {"weight": 100, "value": 100.0}
    assert ("box-a", "llama.cpp") in seen and Inventory.calls == 2

    with pytest.raises(shardfit.ContractViolation, match="python"):
        shardfit.plan(m, inv, scorer=lambda p, c: float("nan"))
    with pytest.raises(ZeroDivisionError):
        shardfit.plan(m, inv, scorer=lambda p, c: 1 / 0)


def test_hostile_input_raises_and_never_crashes():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-8B-Instruct"))
    ok = {"workers": [worker("w", "64GiB", [gpu(0, "A", "24GiB")])]}
    bad = [
        ({"workers": "none"}, shardfit.InvalidFormat),
        ({"workers": [worker("w", 24, [])]}, shardfit.InvalidFormat),  # 24 bytes of RAM
        ({"workers": [worker("w", 2 ** 70, [])]}, shardfit.InvalidArgument),
        ({"workers": [{"name": object()}]}, shardfit.InvalidArgument),
        ([1, 2, 3], shardfit.InvalidArgument),
        (42, shardfit.InvalidArgument),
    ]
    deep = {}
    node = deep
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    bad.append((deep, shardfit.InvalidArgument))
    for cluster, kind in bad:
        with pytest.raises(kind):
            shardfit.plan(m, cluster)
    with pytest.raises(shardfit.InvalidArgument, match="'contxt': is not a known key"):
        shardfit.plan(m, ok, contxt=8192)
    with pytest.raises(shardfit.InvalidArgument, match="out of range"):
        shardfit.plan(m, ok, tp=2 ** 40)
    with pytest.raises(shardfit.InvalidArgument, match="finite"):
        shardfit.plan(m, ok, gpu_memory_utilization=float("inf"))
    with pytest.raises(shardfit.Error):
        shardfit.inspect(str(SRC / "tests" / "support" / "no-such-dir"))


def test_hostile_files_raise_errors_naming_the_file(tmp_path):
    good = (MODELS / "tiny-llama" / "tiny-llama-q8_0.gguf").read_bytes()
    cases = {
        # cut downloads at every part of the header
        **{f"cut-{n}.gguf": good[:n] for n in (0, 3, 8, 24, 100, 1000, len(good) // 2)},
        "magic.gguf": b"GGUX" + good[4:],
        "tensors.gguf": good[:8] + (2 ** 62).to_bytes(8, "little") + good[16:],
        "kvs.gguf": good[:16] + (2 ** 62).to_bytes(8, "little") + good[24:],
        "huge-header.safetensors": (2 ** 60).to_bytes(8, "little") + b"{}",
        "not-json.safetensors": (4).to_bytes(8, "little") + b"{{{{",
        "offsets.safetensors": _st_header({"w": {"dtype": "F16", "shape": [4],
                                                 "data_offsets": [0, 2 ** 40]}}),
    }
    for name, data in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(shardfit.Error) as e:
            shardfit.load_model(str(f))
        assert name in str(e.value), str(e.value)


def _st_header(obj):
    text = json.dumps(obj).encode()
    return len(text).to_bytes(8, "little") + text


def test_two_threads_plan_at_once_with_correct_results():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-70B-Instruct"))
    cluster = json.loads(LAB.read_text())
    expected = shardfit.plan(m, cluster)
    results = []

    def run():
        for _ in range(5):
            results.append(shardfit.plan(m, cluster))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 10 and all(r == expected for r in results)


def test_launch_commands_follow_the_plan():
    m = shardfit.load_model(str(MODELS / "Llama-3.1-70B-Instruct"))
    r = shardfit.plan(m, str(LAB), ctx=8192)
    cmds = shardfit.launch_commands(r, m, str(LAB), "/mnt/models/Llama-3.1-70B-Instruct", ctx=8192)
    assert cmds[-1]["role"] == "vllm"
    argv = cmds[-1]["argv"]
    assert argv[:3] == ["vllm", "serve", "/mnt/models/Llama-3.1-70B-Instruct"]
    assert argv[argv.index("--max-model-len") + 1] == "8192"


def test_reshard_with_progress(tmp_path):
    src = MODELS / "tiny-llama" / "tiny-llama-q8_0.gguf"
    events = []
    dry = shardfit.reshard(str(src), str(tmp_path / "out"), "64KB", dry_run=True)
    assert dry["written"] is False and len(dry["shards"]) >= 2
    r = shardfit.reshard(str(src), str(tmp_path / "out"), "64KB", progress=events.append,
                         sync=False)
    assert r["written"] is True and r["files"]
    assert {e["phase"] for e in events} == {"write", "verify"}
    assert events[-1]["done_bytes"] == events[-1]["total_bytes"]
    with pytest.raises(shardfit.AlreadyExists):
        shardfit.reshard(str(src), str(tmp_path / "out"), "64KB", sync=False)
