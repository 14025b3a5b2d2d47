"""Issue 20's benchmark: planning from Python on a 1,000-worker cluster dict, against the C++
planner on the same cluster (the module reading the cluster file itself, so only the result
crosses into Python) and the `shardfit` tool run as a subprocess. Median of runs.

    PYTHONPATH=build/python python3 benchmarks/python_plan_bench.py build/bin/shardfit [WORKERS]
"""
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import pathlib

import shardfit

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "data" / "models" / "Llama-3.1-70B-Instruct"


def cluster(n, seed=1):
    rnd = random.Random(seed)
    kinds = [("RTX 4090", "24GiB"), ("L40S", "48GiB"), ("H100", "80GiB")]
    workers = []
    for w in range(n):
        name, vram = kinds[rnd.randrange(3)]
        gpus = [{"index": i, "name": name, "vram": vram,
                 "vram_used": f"{rnd.randrange(0, 8)}GiB"} for i in range(8)]
        workers.append({"name": f"w{w}", "address": f"10.0.{w // 250}.{w % 250}",
                        "ram": "512GiB", "ram_used": f"{rnd.randrange(0, 64)}GiB", "gpus": gpus})
    return {"workers": workers}


def median_ms(f, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    tool = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    c = cluster(n)
    model = shardfit.load_model(str(MODEL))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(c, f)
        path = f.name
    for engine in ("llama.cpp", "vllm"):
        a = shardfit.plan(model, c, backend=engine, ctx=8192)
        b = shardfit.plan(model, path, backend=engine, ctx=8192)
        assert a == b, "the dict and the file give different plans"
        py = median_ms(lambda: shardfit.plan(model, c, backend=engine, ctx=8192), 15)
        cpp = median_ms(lambda: shardfit.plan(model, path, backend=engine, ctx=8192), 15)
        cmd = [tool, "plan", str(MODEL), "--cluster", path, "--backend", engine, "--ctx", "8192",
               "--json"]
        sub = median_ms(lambda: subprocess.run(cmd, check=True, capture_output=True), 7)
        print(f"{engine:9} {n} workers: python dict {py:7.1f} ms | C++ (file) {cpp:7.1f} ms "
              f"| tool subprocess {sub:7.1f} ms | python/C++ {py / cpp:4.2f}x")
    pathlib.Path(path).unlink()


if __name__ == "__main__":
    main()
