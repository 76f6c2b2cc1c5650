#!/usr/bin/env python3
"""train_steps.py - tests/guest/train.py's training, for a fixed number of
steps instead of a fixed time, so that CPU times compare (the allocation
probe benchmark, tests/bench/alloc/run).

USAGE: train_steps.py [--steps 40] [--mib 96] [--workers 2] [--batch-rows 4096]

Real PyTorch: a MIB dataset tensor built by the main process, a DataLoader
with WORKERS forked persistent workers that copy blocks of 256 rows out of
it (__getitem__), a small MLP trained on the batches.  Prints
"train: N steps".
"""
import argparse
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--mib", type=int, default=96)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-rows", type=int, default=4096)
    ap.add_argument("--rows-per-item", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=4)
    args = ap.parse_args()
    import torch
    from torch.utils.data import DataLoader, Dataset
    torch.set_num_threads(2)
    torch.manual_seed(0)
    features = 256
    rows = (args.mib << 20) // (features * 4)
    data = torch.randn(rows, features)
    labels = (data[:, :8].sum(1) > 0).long()
    k = max(1, min(args.rows_per_item, args.batch_rows))

    class Rows(Dataset):
        def __len__(self):
            return rows // k

        def __getitem__(self, i):
            block = slice(i * k, (i + 1) * k)
            return data[block].clone(), labels[block]

    loader = DataLoader(Rows(), batch_size=max(1, args.batch_rows // k), shuffle=True,
                        num_workers=args.workers, persistent_workers=True,
                        multiprocessing_context="fork", drop_last=True)
    model = torch.nn.Sequential(torch.nn.Linear(features, args.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(args.hidden, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    lossf = torch.nn.CrossEntropyLoss()
    steps, t0 = 0, time.time()
    while steps < args.steps:
        for x, y in loader:
            opt.zero_grad()
            out = lossf(model(x.reshape(-1, features)), y.reshape(-1))
            out.backward()
            opt.step()
            steps += 1
            if steps >= args.steps:
                break
    print("train: %d steps, %.1fs" % (steps, time.time() - t0), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
