#!/usr/bin/env python3
"""PyTorch twin of `nesbind bench train` (run by hand, not in CI).

Same synthetic shapes and model: 2,000 peptides x 20 residues x 320 features, 2 stacked BiLSTM
layers of hidden 128 with dropout 0.3 between them and before the heads, two heads (binding logit,
6 pocket logits), class-weighted BCE + CE loss, Adam lr 1e-3, batch 32, shuffled each epoch.
Prints seconds per epoch; compare with `nesbind bench train --epochs N` on the same machine.

    pip install torch      # CPU wheel
    python3 scripts/bench_train_pytorch.py --epochs 3 [--threads N] [--device cuda]
"""
import argparse
import json
import time

import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self, d_input=320, hidden=128, layers=2, dropout=0.3):
        super().__init__()
        self.lstm = nn.LSTM(d_input, hidden, num_layers=layers, batch_first=True,
                            bidirectional=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.binding = nn.Linear(2 * hidden, 1)
        self.pocket = nn.Linear(2 * hidden, 6)

    def forward(self, x):
        h, _ = self.lstm(self.drop(x))
        h = self.drop(h)
        return self.binding(h).squeeze(-1), self.pocket(h)


def synthetic(n=2000, length=20, dim=320, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, length, dim, generator=g)
    left = torch.cat([torch.zeros(n, 1), x[:, :-1, 1]], dim=1)
    binding = (x[:, :, 0] + 0.5 * left > 0.8).float()
    pos = torch.arange(length).remainder(5).add(1).expand(n, length)
    pocket = torch.where(binding > 0, pos, torch.zeros_like(pos))
    return x, binding, pocket


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--peptides", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the twin of `--device gpu`)")
    args = ap.parse_args()
    dev = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x, yb, yp = (t.to(dev) for t in synthetic(args.peptides))
    pos_w = ((yb.numel() - yb.sum()) / yb.sum()).clamp(1, 20)
    counts = torch.bincount(yp.flatten(), minlength=6).float()
    cw = (yp.numel() / (6 * counts.clamp(min=1))).clamp(1 / 20, 20)
    model = Tagger().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss(pos_weight=pos_w)
    ce = nn.CrossEntropyLoss(weight=cw)
    times = []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(x.shape[0], device=dev)
        total = 0.0
        for i in range(0, x.shape[0], 32):
            idx = perm[i:i + 32]
            b, p = model(x[idx])
            loss = bce(b, yb[idx]) + ce(p.reshape(-1, 6), yp[idx].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        print(f"epoch {epoch + 1}: {times[-1]:.2f} s  loss {total / x.shape[0]:.4f}")
    info = open("/proc/cpuinfo").read()
    cpu = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown CPU")
    cpu += ", AVX-512" if " avx512f" in info else ", AVX2" if " avx2" in info else ""
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else None
    print(json.dumps({"cpu": cpu, "gpu": gpu, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "seconds_per_epoch": times,
                      "mean_seconds_per_epoch": sum(times) / len(times)}))


if __name__ == "__main__":
    main()
