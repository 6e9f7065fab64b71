#!/usr/bin/env python3
"""PyTorch reference for the speed of `onyx train` (cmd/onyx/train.go).

Trains the same CNN the same way: Conv(1->16, 3x3, pad 1)-BN-ReLU-MaxPool(2),
Conv(16->32, 3x3, pad 1)-BN-ReLU-MaxPool(2), Flatten, Dropout(0.25),
Linear(32*7*7 -> classes); softmax cross-entropy, Adam (lr 1e-3), batches of
64 (the last partial batch dropped), shuffled every epoch, the last 10% of
the training set held out and evaluated after every epoch. Prints each
epoch's time (training and validation, as onyx train's progress line
reports it), loss and accuracies.

    python3 testdata/bench/train_torch.py [--data DIR] [--epochs N] [--threads N] [--limit N]

Compare with `onyx train --epochs N --threads N [--limit N] --out /tmp/x.onnx`.
Not used by the tests.
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, _, dtype, rank = struct.unpack(">BBBB", data[:4])
    assert dtype == 0x08, "only uint8 IDX files"
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data, split):
    def find(kind):
        for ext in (".gz", ""):
            p = os.path.join(data, f"{split}-{kind}-ubyte{ext}")
            if os.path.exists(p):
                return p
        raise FileNotFoundError(f"{split}-{kind}-ubyte[.gz] in {data}")
    x = read_idx(find("images-idx3")).astype(np.float32) / 255
    y = read_idx(find("labels-idx1")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def model(h, w, classes):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * (h // 4) * (w // 4), classes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data, "train")
    if a.limit > 0:
        x, y = x[:a.limit], y[:a.limit]
    nval = int(len(x) * 0.1)
    xt, yt, xv, yv = x[:len(x) - nval], y[:len(y) - nval], x[len(x) - nval:], y[len(y) - nval:]
    net = model(x.shape[2], x.shape[3], int(y.max()) + 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    steps = len(xt) // a.batch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {len(xt)} training samples, {nval} validation")
    for epoch in range(a.epochs):
        start = time.perf_counter()
        net.train()
        perm = torch.randperm(len(xt))
        loss_sum, correct = 0.0, 0
        for s in range(steps):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad()
            out = net(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            correct += (out.argmax(1) == yb).sum().item()
        train_s = time.perf_counter() - start
        net.eval()
        vloss, vcorrect = 0.0, 0
        with torch.no_grad():
            for i in range(0, nval, a.batch):
                out = net(xv[i:i + a.batch])
                vloss += F.cross_entropy(out, yv[i:i + a.batch], reduction="sum").item()
                vcorrect += (out.argmax(1) == yv[i:i + a.batch]).sum().item()
        total = time.perf_counter() - start
        print(f"epoch {epoch + 1}: {total:.2f}s (training {train_s:.2f}s)  loss {loss_sum / steps:.4f}  "
              f"acc {correct / (steps * a.batch):.4f}  val loss {vloss / max(nval, 1):.4f}  val acc {vcorrect / max(nval, 1):.4f}")


if __name__ == "__main__":
    main()
