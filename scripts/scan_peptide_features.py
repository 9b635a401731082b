#!/usr/bin/env python3
"""Would the peptide BiLSTM help the scan's window ranker choose a protein's NES?

Reads the out-of-fold window scores of a scan cross-validation, cuts every consensus window out
with 5 residues each side (the 20-mers the peptide model learnt from), runs the bundled peptide
model on them and asks whether its outputs, added to the ranker's log-odds, move the top-1 window
to a real NES more often.

    nesbind scan --cv 5 --out cv42 --cache esm-cache --cv-seed 42
    python3 scripts/scan_peptide_features.py cv42/candidates.csv work/

The peptide model was trained on NES peptides of most of these proteins, so its features are
optimistic here (leakage); with the weight also chosen on the same proteins, this can only
overstate what the feature is worth. A feature that does not help even so is not worth a
per-fold peptide model.
"""
import collections
import csv
import json
import math
import os
import subprocess
import sys

ROOT = __file__.rsplit("/scripts/", 1)[0]
BIN = f"{ROOT}/target/release/nesbind"


def logit(p):
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def features(rows, work):
    peps = []
    for r in rows:
        s, e, n = int(r["start"]), int(r["end"]), int(r["length"])
        ctx_start = max(1, s - 10)  # candidates.csv keeps 10 residues each side
        a, b = max(1, s - 5), min(n, e + 5)
        pep = r["context"][a - ctx_start : b - ctx_start + 1]
        assert len(pep) == b - a + 1, r
        peps.append((a, pep))
    fasta, cached = f"{work}/windows.fasta", f"{work}/predictions.json"
    if not os.path.exists(cached):
        with open(fasta, "w") as f:
            f.writelines(f">w{i}\n{p}\n" for i, (_, p) in enumerate(peps))
        out = subprocess.run(
            [BIN, "predict", "--fasta", fasta, "--json"], capture_output=True, text=True, check=True
        )
        with open(cached, "w") as f:
            f.write(out.stdout)
    with open(cached) as f:
        preds = json.load(f)
    assert len(preds) == len(rows)
    out = collections.defaultdict(list)
    for (a, _), d, r in zip(peps, preds, rows):
        slots = r["phi"].split()  # Φ0..Φ4, "-" = empty
        pockets = [k for k, x in enumerate(slots) if x != "-"]
        phi = [int(slots[k]) for k in pockets]
        res = d["residues"]
        s, e = int(r["start"]), int(r["end"])
        out["register probability"].append(d["register"]["probability"])
        out["P(binding) at the window's Φ"].append(
            sum(res[p - a]["binding_probability"] for p in phi) / len(phi)
        )
        out["log P(the window's register)"].append(
            sum(
                math.log(max(res[p - a]["pocket_probabilities"][k + 1], 1e-9))
                for p, k in zip(phi, pockets)
            )
        )
        out["P(binding) over the window"].append(
            sum(res[p - a]["binding_probability"] for p in range(s, e + 1)) / (e - s + 1)
        )
        model = {pk["pocket"]: pk["position"] + a - 1 for pk in d["register"]["pockets"]}
        out["model register = window's (Φ1–Φ4)"].append(
            float([model.get(f"Φ{k}") for k in range(1, 5)] == phi[-4:])
        )
    return out


def main():
    path, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    feats = features(rows, work)
    real = [int(r["real"]) for r in rows]
    base = [logit(float(r["score"])) for r in rows]
    proteins = collections.defaultdict(list)
    for i, r in enumerate(rows):
        proteins[r["protein"]].append(i)

    def top1(score):
        return sum(real[max(ix, key=lambda i: score[i])] for ix in proteins.values()) / len(proteins)

    def auc(v):
        pos = sorted(x for x, y in zip(v, real) if y)
        neg = sorted(x for x, y in zip(v, real) if not y)
        wins, j, k = 0.0, 0, 0
        for x in pos:
            while j < len(neg) and neg[j] < x:
                j += 1
            k = j
            while k < len(neg) and neg[k] == x:
                k += 1
            wins += j + 0.5 * (k - j)
        return wins / (len(pos) * len(neg))

    weights = [-0.5, -0.25, 0.1, 0.25, 0.5, 1.0]
    print(f"{len(proteins)} proteins, {len(rows)} windows; ranker alone: top-1 {top1(base):.3f}")
    print("feature | AUC real vs not | top-1 alone | top-1 with log-odds + w·z, w = " + " / ".join(map(str, weights)))
    for name, v in feats.items():
        m = sum(v) / len(v)
        sd = (sum((x - m) ** 2 for x in v) / len(v)) ** 0.5 or 1.0
        z = [(x - m) / sd for x in v]
        moved = " / ".join(f"{top1([b + w * q for b, q in zip(base, z)]):.3f}" for w in weights)
        print(f"{name} | {auc(v):.3f} | {top1(v):.3f} | {moved}")


if __name__ == "__main__":
    main()
