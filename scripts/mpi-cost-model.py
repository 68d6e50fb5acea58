#!/usr/bin/env python3
"""When do more machines pay? A cost model of the data-parallel step over MPI.

One update on R machines (c cores each, one shard per machine, so S = R) computes
10·n_v·n_h flops per sample of its B/R rows, and each machine sends its shard's statistics
pieces to the R − 1 others and its summed piece back to them (`DataParallelTrainer+Ranks`):

    floats sent per machine = (s + 1)(R − 1)/R · P,   P = n_v·n_h + n_v + n_h,  s = shards per machine

    t_compute = 10·n_v·n_h·(B/R) / (c · r)        r = one core's rate in this step (measured)
    t_comm    = 4·(s + 1)(R − 1)/R · P / W + 2(R − 1)·α      W = link bandwidth, α = per-message latency

    efficiency E(R) = t_compute / (t_compute + t_comm)   (no overlap of the two: the step waits)
    speed-up        = R · E(R) · (one machine's t_compute + t_comm(1)) / one machine's time

Since P ≈ n_v·n_h, the model size cancels: E depends on the rows per machine b = B/R against

    b* = 0.8 · (s + 1)/2 · c · r / W        (bytes/s), the rows per machine at which E = 1/2,

and a machine more pays while the total batch B exceeds b* (compute of the whole batch on one
machine against one full exchange). Usage:

    scripts/mpi-cost-model.py [--core-gflops 91] [--cores 2] [--latency-us 20]
    scripts/mpi-cost-model.py --check SAMPLES_PER_S_1x1 SAMPLES_PER_S_2x1_TCP COMM_FRACTION_TCP
"""
import argparse

SHIPPED = [  # (name, n_visible, n_hidden, batch): experiments/*.yaml and the bench's large model
    ("default, mnist-pcd-500, mnist-reproduce, dbn-*, fashion-* (784→500, B 100)", 784, 500, 100),
    ("784→500, B 1000", 784, 500, 1000),
    ("784→4096, B 1000 (rbm bench --ranks)", 784, 4096, 1000),
    ("seed-mnist (784→128, B 5)", 784, 128, 5),
]


def update_seconds(nv, nh, batch, machines, cores, core_flops, bandwidth_bytes, latency, shards_per_machine=1):
    params = nv * nh + nv + nh
    compute = 10 * nv * nh * batch / machines / (cores * core_flops)
    if machines == 1:
        return compute, 0.0
    floats = (shards_per_machine + 1) * (machines - 1) / machines * params
    comm = 4 * floats / bandwidth_bytes + 2 * (machines - 1) * latency
    return compute, comm


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--core-gflops", type=float, default=91.0,
                        help="one core's GFLOP/s in the step (rbm bench --ranks --workers 1: samples/s × 3.92 MFLOP for 784→500)")
    parser.add_argument("--cores", type=int, default=2, help="cores per machine")
    parser.add_argument("--latency-us", type=float, default=20.0, help="per-message latency over the network, µs")
    parser.add_argument("--check", nargs=3, type=float, metavar=("ONE_CORE", "TWO_RANKS_TCP", "COMM_FRACTION"),
                        help="loopback check: samples/s of 1 rank × 1 worker, of 2 ranks × 1 worker over TCP, and that run's communication fraction (784→500, B 100)")
    args = parser.parse_args()
    core_flops = args.core_gflops * 1e9
    latency = args.latency_us * 1e-6

    if args.check:
        one, two, fraction = args.check
        flops_per_sample = 10 * 784 * 500
        per_update = 100 / two
        comm = fraction * per_update
        bytes_sent = 4 * 393284  # (s + 1)(R − 1)/R · P floats with s = 1, R = 2
        bandwidth = bytes_sent / comm
        compute, _ = update_seconds(784, 500, 100, 2, 1, one * flops_per_sample, bandwidth, 0)
        predicted = 100 / (compute + comm)
        print(f"loopback TCP: {bytes_sent / 1e6:.2f} MB per update in {comm * 1e3:.2f} ms: effective {8 * bandwidth / 1e9:.1f} Gb/s")
        print(f"model with that bandwidth and one core at {one:,.0f} samples/s: {predicted:,.0f} samples/s for 2 ranks; measured {two:,.0f} ({100 * two / predicted:.0f}% of the model)")
        return

    print(f"{args.cores} cores per machine at {args.core_gflops:.0f} GFLOP/s each, {args.latency_us:.0f} µs per message, one shard per machine\n")
    machines = [2, 4, 8, 16, 64]
    for name, nv, nh, batch in SHIPPED:
        print(f"### {name}\n")
        print("| link | b* (rows/machine at 50 %) | " + " | ".join(f"{m} machines" for m in machines) + " |")
        print("|---|---:|" + "---:|" * len(machines))
        for gbits in (10, 25, 100):
            bandwidth = gbits * 1e9 / 8
            one = sum(update_seconds(nv, nh, batch, 1, args.cores, core_flops, bandwidth, latency))
            cells = []
            for m in machines:
                if batch < m:
                    cells.append("—")
                    continue
                compute, comm = update_seconds(nv, nh, batch, m, args.cores, core_flops, bandwidth, latency)
                speedup = one / (compute + comm)
                cells.append(f"{100 * compute / (compute + comm):.0f} % ({speedup:.1f}×)")
            b_star = 0.8 * args.cores * core_flops / bandwidth
            print(f"| {gbits} Gb/s | {b_star:.0f} | " + " | ".join(cells) + " |")
        print()
    print("Each cell: efficiency t_compute/(t_compute + t_comm), and in brackets the speed-up over one machine.")


if __name__ == "__main__":
    main()
