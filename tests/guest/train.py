#!/usr/bin/python3
"""train.py - a small PyTorch training run with a known NUMA placement.

    train.py --truth FILE [--mib 96] [--data-node 1] [--worker-node 0]
             [--workers 4] [--seconds 40] [--rows-per-item 1]
             [--batch-rows 256] [--hidden 64] [--wait-file FILE]
             [--stop-file FILE]

The DataLoader pattern numalens is meant to catch: the main process, pinned
to the CPUs of --data-node before torch is imported, builds the whole
dataset in one tensor (first touch: its pages land on --data-node); a
DataLoader with --workers fork workers (persistent_workers) serves batches
from it, each worker pinned by worker_init_fn to one CPU of --worker-node,
so every sample a worker reads is remote when the nodes differ.  The main
process trains a small MLP for --seconds once the workers serve batches
(with --stop-file FILE: until FILE exists, --seconds at most, so a profile
that takes long to attach still sees the job running when it ends).
With --rows-per-item K each dataset item is K consecutive rows (a block, as
sequence or shard datasets serve them) and a batch is --batch-rows rows of
batch-rows/K items; --hidden sets the MLP's width.  Big blocks, big batches
and a thin model make a data-bound loader: the workers then spend their
time reading the dataset rather than running the interpreter (which reads
main's heap), and main keeps up with them, even under TCG.

With --wait-file FILE, main writes its pid to FILE once torch is imported
and waits until FILE is removed before it builds the dataset (a profiler
attached by pid then sees the allocation and its first touch).

Lines marked `# nl:NAME` are what the tests look for (they read the line
numbers from the markers): nl:dataset-build builds (first-touches) the
dataset, nl:getitem-read is where Dataset.__getitem__ reads an item's rows.

Once the workers run, FILE gets the truth (JSON): main pid, worker pids and
CPUs, the dataset tensor's address range and its page census by node
(move_pages(2) through libnuma); it is rewritten with "phase": "done" at the
end.  Needs python3-torch (Debian) and libnuma1.
"""
import argparse
import ctypes
import json
import os
import sys
import time


def node_cpus(node):
    with open("/sys/devices/system/node/node%d/cpulist" % node) as f:
        out = []
        for part in f.read().strip().split(","):
            a, _, b = part.partition("-")
            out.extend(range(int(a), int(b or a) + 1))
        return out


def census(start, nbytes):
    """Pages of [start, start+nbytes) per node, and how many move_pages could not place."""
    numa = ctypes.CDLL("libnuma.so.1", use_errno=True)
    page = 4096
    first = (start + page - 1) // page * page
    n = (start + nbytes - first) // page
    pages = (ctypes.c_void_p * n)(*[first + i * page for i in range(n)])
    status = (ctypes.c_int * n)()
    if numa.numa_move_pages(0, ctypes.c_ulong(n), pages, None, status, 0) != 0:
        raise OSError(ctypes.get_errno(), "move_pages")
    by_node, unknown = {}, 0
    for s in status:
        if s >= 0:
            by_node[s] = by_node.get(s, 0) + 1
        else:
            unknown += 1
    return [by_node.get(i, 0) for i in range(max(by_node, default=0) + 1)], unknown, first, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--truth", required=True)
    ap.add_argument("--mib", type=int, default=96)
    ap.add_argument("--data-node", type=int, default=1)
    ap.add_argument("--worker-node", type=int, default=0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--rows-per-item", type=int, default=1)
    ap.add_argument("--batch-rows", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--wait-file")
    ap.add_argument("--stop-file", help="once ready, train until this file exists "
                    "(--seconds then caps it): the profile, however long it takes, "
                    "sees the job running")
    args = ap.parse_args()

    # Pin before torch is imported: everything main touches lands on data-node.
    os.sched_setaffinity(0, node_cpus(args.data_node))
    t0 = time.time()
    import torch
    from torch.utils.data import DataLoader, Dataset
    t_import = time.time() - t0
    torch.set_num_threads(2)
    torch.manual_seed(0)

    if args.wait_file:
        with open(args.wait_file, "w") as f:
            f.write("%d\n" % os.getpid())
        while os.path.exists(args.wait_file):
            time.sleep(0.05)
    features = 256
    rows = (args.mib << 20) // (features * 4)
    data = torch.randn(rows, features)  # nl:dataset-build (first touch by main, on data-node)
    labels = (data[:, :8].sum(1) > 0).long()
    worker_cpus = node_cpus(args.worker_node)
    k = max(1, min(args.rows_per_item, args.batch_rows))

    class Rows(Dataset):
        """Item i: block i of k rows of the shared tensor, read in the worker
        that serves it.  Like datasets that decode or augment, __getitem__
        makes the item from the stored rows (a copy here), so the dataset is
        read at its marked line, not later by default_collate."""
        def __len__(self):
            return rows // k

        def __getitem__(self, i):
            block = slice(i * k, (i + 1) * k)
            x = data[block].clone()  # nl:getitem-read (a worker reads its rows of the dataset)
            return x, labels[block]

    def pin_worker(wid):
        os.sched_setaffinity(0, [worker_cpus[wid % len(worker_cpus)]])
        torch.set_num_threads(1)

    loader = DataLoader(Rows(), batch_size=max(1, args.batch_rows // k), shuffle=True, num_workers=args.workers,
                        persistent_workers=True, worker_init_fn=pin_worker,
                        multiprocessing_context="fork", drop_last=True)
    model = torch.nn.Sequential(torch.nn.Linear(features, args.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(args.hidden, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    lossf = torch.nn.CrossEntropyLoss()

    start = data.data_ptr()
    nbytes = data.numel() * data.element_size()

    def write_truth(phase, it, steps, loss):
        by_node, unknown, first, n = census(start, nbytes)
        workers = []
        for i, w in enumerate(getattr(it, "_workers", [])):
            workers.append({"pid": w.pid, "cpu": worker_cpus[i % len(worker_cpus)],
                            "node": args.worker_node})
        truth = {
            "workload": "torch", "phase": phase, "pid": os.getpid(),
            "data_node": args.data_node, "worker_node": args.worker_node,
            "remote": args.data_node != args.worker_node,
            "dataset": {"start": first, "end": first + n * 4096, "bytes": nbytes,
                        "pages": n, "name": "", "census": by_node,
                        "census_unknown": unknown},
            "workers": workers, "steps": steps, "loss": loss,
            "import_seconds": round(t_import, 2),
            "seconds": round(time.time() - t0, 2),
        }
        with open(args.truth + ".tmp", "w") as f:
            json.dump(truth, f, indent=1)
        os.rename(args.truth + ".tmp", args.truth)

    steps, loss, it, ready = 0, None, None, False
    deadline = time.time() + 600   # until the workers run; then --seconds more
    while time.time() < deadline:
        it = iter(loader)   # persistent workers: the same processes every epoch
        for x, y in it:
            opt.zero_grad()
            out = lossf(model(x.reshape(-1, features)), y.reshape(-1))
            out.backward()
            opt.step()
            steps += 1
            loss = round(float(out), 4)
            if not ready:
                deadline = time.time() + args.seconds
                write_truth("ready", it, steps, loss)
                print("train: pid %d, %d workers %s, dataset %d MiB at %#x, import %.1fs"
                      % (os.getpid(), args.workers, [w.pid for w in it._workers],
                         nbytes >> 20, start, t_import), flush=True)
                ready = True
            if time.time() >= deadline or (ready and args.stop_file and os.path.exists(args.stop_file)):
                deadline = 0
                break
    write_truth("done", it, steps, loss)
    print("train: %d steps, loss %s, %.1fs" % (steps, loss, time.time() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
