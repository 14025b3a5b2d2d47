"""Plans a model on a cluster file from Python and prints where it goes.

    PYTHONPATH=build/python python3 examples/python/plan_cluster.py MODEL CLUSTER.json
"""
import sys

import shardfit


def main(model_path: str, cluster_path: str) -> int:
    model = shardfit.load_model(model_path)
    result = shardfit.plan(model, cluster_path, backend="llama.cpp", ctx=8192)
    if result["status"] != "planned":
        print("no fit:", "; ".join(result["messages"]))
        return 1
    placement = result["placement"]
    for w in placement["workers"]:
        gpus = " ".join(f"{g['index']}:{g['layers']}" for g in w["gpus"])
        print(f"planned: {w['name']} {w['role']} [{gpus}] context {placement['context']}")
    print(f"{len(result['rejected'])} candidates rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
