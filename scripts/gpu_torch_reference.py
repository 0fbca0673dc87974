#!/usr/bin/env python3
"""PyTorch-on-CUDA reference for Kyper's MLP training benchmark, for scripts/gpu_check.sh.

benchmarks/training/torch_reference.py is the CPU reference (Debian's torch, OpenBLAS threads);
this runs the same nets (its NETS table: A-D), float32, ReLU hidden layers, linear output, MSE
loss, Adam(lr=1e-3), a random preallocated batch, on the GPU. One step = zero_grad(set_to_none)
+ forward + backward + Adam update. It probes these setups and measures the best in full:
  foreach   Adam(foreach=True), eager
  fused     Adam(fused=True), eager
  graph     the whole step captured once as a CUDA graph (Adam capturable=True) and replayed
steps/s is the median of --windows windows of >= --window-s seconds, each ended by a
torch.cuda.synchronize(). --copies M trains M models of the net (seeds 0..M-1) one after the
other in each step (in one graph with "graph"): what a PyTorch user does for an ensemble of small
nets on one GPU; samples/s then counts all copies. Prints one JSON object per net:
  {"net": "A", "samples_per_s": ..., "us_per_step": ..., "gflops": ..., "setup": "graph", "setups": {...}}
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch

try:  # the CPU reference's table, so both references measure the same nets
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks", "training"))
    from torch_reference import NETS  # noqa: E402
except Exception:  # pragma: no cover - a copy of it, if the benchmark moved
    NETS = {
        "A": (8, [64, 64], 1, 32),
        "B": (8, [256, 256, 256], 1, 256),
        "C": (64, [1024, 1024], 10, 512),
        "D": (1, [32, 32, 32, 32, 32], 2, 64),
    }


def flops_per_sample(n_in, hidden, n_out):
    dims = [n_in] + list(hidden) + [n_out]
    return 6 * sum(i * o for i, o in zip(dims[:-1], dims[1:]))


def make_member(spec, setup, device, seed):
    n_in, hidden, n_out, batch = spec
    torch.manual_seed(seed)
    layers, prev = [], n_in
    for h in hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    layers.append(torch.nn.Linear(prev, n_out))
    model = torch.nn.Sequential(*layers).to(device)
    x = torch.randn(batch, n_in, device=device)
    y = torch.randn(batch, n_out, device=device)
    if setup == "foreach":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    elif setup == "fused":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, capturable=True)
    return model, x, y, opt


def make_step(spec, setup, device, copies=1):
    members = [make_member(spec, setup, device, seed) for seed in range(copies)]
    loss_fn = torch.nn.MSELoss()

    def eager():
        for model, x, y, opt in members:
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()

    if setup != "graph":
        return eager
    # The documented whole-iteration capture: warm up on a side stream, then capture.
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            eager()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    for _, _, _, opt in members:
        opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        for model, x, y, opt in members:
            loss_fn(model(x), y).backward()
            opt.step()
    return graph.replay


def window(step, seconds):
    n = 0
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    while True:
        for _ in range(8):
            step()
        n += 8
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def measure(step, windows, seconds, warmup):
    window(step, warmup)
    return statistics.median(window(step, seconds) for _ in range(windows))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nets", default="A,B,C,D")
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--window-s", type=float, default=1.0)
    ap.add_argument("--warmup-s", type=float, default=0.5)
    ap.add_argument("--probe-s", type=float, default=0.3)
    ap.add_argument("--setups", default="foreach,fused,graph")
    ap.add_argument("--copies", type=int, default=1, help="models of each net trained in turn per step")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("gpu_torch_reference.py: torch sees no CUDA device", file=sys.stderr)
        return 1
    device = torch.device("cuda")
    print(f"# torch {torch.__version__}, {torch.cuda.get_device_name(0)}", file=sys.stderr)
    for name in args.nets.split(","):
        spec = NETS[name]
        probes = {}
        for setup in args.setups.split(","):
            try:
                probes[setup] = measure(make_step(spec, setup, device, args.copies), 3, args.probe_s, args.probe_s)
            except Exception as e:  # a setup this torch cannot run is reported, not fatal
                print(f"# net {name}: setup {setup} failed: {e}", file=sys.stderr)
        if not probes:
            continue
        best = max(probes, key=probes.get)
        steps = measure(make_step(spec, best, device, args.copies), args.windows, args.window_s, args.warmup_s)
        batch = spec[3] * args.copies
        rate = steps * batch
        print(json.dumps({
            "net": name, "copies": args.copies, "samples_per_s": round(rate, 1), "us_per_step": round(1e6 / steps, 2),
            "gflops": round(rate * flops_per_sample(*spec[:3]) / 1e9, 3), "setup": best,
            "setups": {k: round(v * batch, 1) for k, v in probes.items()},
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
