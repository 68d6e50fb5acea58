#!/usr/bin/env python3
"""The textbook RBM update in other tools, measured in the same run as `rbm bench`, so that the
README's ratios can be re-measured on any machine (make bench-peers).

Rows: numpy (the ten-line CD-1/PCD-1 update, numpy's BLAS on all cores), PyTorch CPU (the same
update; skipped when torch is not installed), scikit-learn's BernoulliRBM (PCD-1, its
partial_fit), and this project (`rbm bench`), for 784→500 with batch 100; then the seed's
configuration, 784→128 with batch 5, CD-1. Best of three timings of 300 updates each (3,000
for batch 5). Prints a Markdown table with each figure's ratio to this project's.

    python3 scripts/bench-peers.py --rbm .build/release/rbm --data ../shared/data/mnist
"""
import argparse, gzip, os, re, struct, subprocess, sys, time

import numpy as np


def mnist(folder):
    path = os.path.join(folder, "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        return (np.random.default_rng(0).random((10000, 784)) < 0.13).astype(np.float32)
    with gzip.open(path, "rb") as f:
        _, count, rows, columns = struct.unpack(">IIII", f.read(16))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(count, rows * columns).astype(np.float32) / 255


def best(step, batches, updates, repetitions=3):
    for i in range(20):
        step(batches[i % len(batches)])
    rates = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for i in range(updates):
            step(batches[i % len(batches)])
        rates.append(updates * len(batches[0]) / (time.perf_counter() - start))
    return max(rates)


def numpy_update(nv, nh, persistent, rng):
    """The textbook update: CD-1 (or PCD-1 with persistent chains), momentum 0.5, decay 1e-4."""
    W = (0.01 * rng.standard_normal((nv, nh))).astype(np.float32)
    b, c = np.zeros(nv, np.float32), np.zeros(nh, np.float32)
    state = {"dW": np.zeros_like(W), "db": np.zeros_like(b), "dc": np.zeros_like(c), "chains": None}
    sig = lambda x: 1 / (1 + np.exp(-x))

    def step(x):
        nonlocal W, b, c
        v0 = (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)
        ph0 = sig(v0 @ W + c)
        start = ph0 if not persistent or state["chains"] is None else state["chains"]
        h = (rng.random(start.shape, dtype=np.float32) < start).astype(np.float32)
        v1 = (rng.random((len(x), nv), dtype=np.float32) < sig(h @ W.T + b)).astype(np.float32)
        ph1 = sig(v1 @ W + c)
        state["chains"] = ph1
        B = len(x)
        state["dW"] = 0.5 * state["dW"] + 0.01 * ((v0.T @ ph0 - v1.T @ ph1) / B - 1e-4 * W)
        state["db"] = 0.5 * state["db"] + 0.01 * (v0 - v1).mean(0)
        state["dc"] = 0.5 * state["dc"] + 0.01 * (ph0 - ph1).mean(0)
        W += state["dW"]; b += state["db"]; c += state["dc"]
    return step


def torch_update(nv, nh, persistent):
    import torch
    torch.manual_seed(0)
    W = 0.01 * torch.randn(nv, nh)
    b, c = torch.zeros(nv), torch.zeros(nh)
    state = {"dW": torch.zeros_like(W), "db": torch.zeros_like(b), "dc": torch.zeros_like(c), "chains": None}

    @torch.no_grad()
    def step(x):
        nonlocal W, b, c
        v0 = torch.bernoulli(x)
        ph0 = torch.sigmoid(v0 @ W + c)
        start = ph0 if not persistent or state["chains"] is None else state["chains"]
        v1 = torch.bernoulli(torch.sigmoid(torch.bernoulli(start) @ W.T + b))
        ph1 = torch.sigmoid(v1 @ W + c)
        state["chains"] = ph1
        B = x.shape[0]
        state["dW"].mul_(0.5).add_(0.01 * ((v0.T @ ph0 - v1.T @ ph1) / B - 1e-4 * W))
        state["db"].mul_(0.5).add_(0.01 * (v0 - v1).mean(0))
        state["dc"].mul_(0.5).add_(0.01 * (ph0 - ph1).mean(0))
        W += state["dW"]; b += state["db"]; c += state["dc"]
    return step, torch


def rbm_bench(rbm, data, hidden, batch, shards, updates):
    """`rbm bench` on all cores: CD-1 and PCD-1 samples/s of the fastest of its splits (the
    shards split, one shard × one hidden block per core and, at batches up to 32, one shard ×
    one visible block per core), and which split that was."""
    out = subprocess.run([rbm, "bench", "--data", data, "--hidden", str(hidden), "--batch-size", str(batch),
                          "--shards", str(shards), "--updates", str(updates)], capture_output=True, text=True, check=True).stdout
    best = {}
    for sampler, layout, rate in re.findall(r"^(CD-1|PCD-1) workers=%d \(([^)]*)\): (\d+) samples/s" % os.cpu_count(), out, re.M):
        if float(rate) > best.get(sampler, (0, ""))[0]:
            best[sampler] = (float(rate), layout)
    machine = next((line for line in out.splitlines() if line.startswith("machine:")), "")
    return best, machine


def numpy_kernel():
    """The BLAS numpy runs, as threadpoolctl reports it (when installed)."""
    try:
        import threadpoolctl
        return ", ".join(f"{i['internal_api']} {i.get('version', '')} {i.get('architecture', '')} kernel, {i['num_threads']} threads"
                         for i in threadpoolctl.threadpool_info())
    except ImportError:
        return "unknown (threadpoolctl not installed)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rbm", default=".build/release/rbm")
    parser.add_argument("--data", default="../shared/data/mnist")
    args = parser.parse_args()
    X = mnist(args.data)
    rng = np.random.default_rng(1)
    rows = []
    measured, machine = rbm_bench(args.rbm, args.data, 500, 100, 2, 300)
    ours = {sampler: rate for sampler, (rate, _) in measured.items()}
    print(machine)
    print("this project, 784→500 batch 100: " + ", ".join(f"{k} fastest as {layout}" for k, (_, layout) in measured.items()))
    print(f"numpy {np.__version__}: {numpy_kernel()}")
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(f"environment: {env or 'no OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (each library picks its kernel)'}")
    batches = [X[i * 100:(i + 1) * 100] for i in range(200)]
    for sampler, persistent in (("CD-1", False), ("PCD-1", True)):
        rows.append(("numpy", sampler, "784→500, batch 100", best(numpy_update(784, 500, persistent, rng), batches, 300), ours[sampler]))
        try:
            step, torch = torch_update(784, 500, persistent)
            tb = [torch.from_numpy(x) for x in batches]
            rows.append((f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads", sampler, "784→500, batch 100",
                         best(step, tb, 300), ours[sampler]))
        except ImportError:
            print(f"note: torch is not installed; no PyTorch row for {sampler}")
    from sklearn.neural_network import BernoulliRBM
    model = BernoulliRBM(n_components=500, learning_rate=0.01, batch_size=100, n_iter=1, random_state=0)
    model.partial_fit(batches[0])
    rows.append(("scikit-learn BernoulliRBM.partial_fit", "PCD-1", "784→500, batch 100", best(model.partial_fit, batches, 300), ours["PCD-1"]))
    measured, _ = rbm_bench(args.rbm, args.data, 128, 5, 1, 3000)
    seed = {sampler: rate for sampler, (rate, _) in measured.items()}
    print(f"this project, 784→128 batch 5: CD-1 fastest as {measured['CD-1'][1]}")
    small = [X[i * 5:(i + 1) * 5] for i in range(2000)]
    rows.append(("numpy", "CD-1", "784→128, batch 5 (the seed's)", best(numpy_update(784, 128, False, rng), small, 3000), seed["CD-1"]))
    try:
        step, torch = torch_update(784, 128, False)
        rows.append((f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads", "CD-1", "784→128, batch 5 (the seed's)",
                     best(step, [torch.from_numpy(x) for x in small], 3000), seed["CD-1"]))
    except ImportError:
        pass
    print("| system | update | model | samples/s | this project | this project ÷ system |")
    print("|---|---|---|---:|---:|---:|")
    for system, sampler, shape, rate, project in rows:
        print(f"| {system} | {sampler} | {shape} | {rate:,.0f} | {project:,.0f} | {project / rate:.2f}× |")


if __name__ == "__main__":
    sys.exit(main())
