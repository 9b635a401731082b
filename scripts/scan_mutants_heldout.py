#!/usr/bin/env python3
"""Do the scan's suggested mutants name residues whose mutation is known to impair export?

Proteins: those with export-impairing mutations among the bundled peptide model's *test* split
(assets/models/nesbind_bilstm_default/training_labels.csv), so the peptide model never saw them.
Positions: NESdb's single-residue entries of "Mutations That Affect Nuclear Export" / "… CRM1 Binding".

    python3 scripts/scan_mutants_heldout.py fasta heldout.fa
    nesbind scan --fasta heldout.fa --top 8 --threshold 0 --json > heldout.json
    python3 scripts/scan_mutants_heldout.py compare heldout.json

For each protein, the best-ranked candidate within 5 residues of a mutated position is read: the
mutants as shipped (consensus register) and the hydrophobic Φ residues of the peptide model's register.
"""
import csv
import json
import re
import sys

ROOT = __file__.rsplit("/scripts/", 1)[0]
LABELS = f"{ROOT}/assets/models/nesbind_bilstm_default/training_labels.csv"
NESDB = f"{ROOT}/assets/nes/NesDB_all_CRM1_with_peptides_train.csv"
HYDROPHOBIC = set("LIVFM")


def heldout():
    keys = set()
    with open(LABELS, newline="") as f:
        for r in csv.DictReader(f):
            if r["mutated"].strip() == "1" and r["split"].strip() == "test" and r["source"] != "crystal":
                keys.add(r["protein"])
    rows = list(csv.DictReader(open(NESDB, encoding="utf-8", errors="replace")))
    out = {}
    for k in sorted(keys):
        match = [r for r in rows if k in r["ID"] or k in r["Fasta Header"]]
        if not match:
            print(f"{k}: not in {NESDB}", file=sys.stderr)
            continue
        r = match[0]
        seq = re.sub("[^A-Z]", "", r["Sequence"].upper())
        pos = set()
        for col in ("Mutations That Affect Nuclear Export", "Mutations That Affect CRM1 Binding"):
            pos |= {int(a) for a, b in re.findall(r"'(\d+)-(\d+)'", r[col]) if a == b}
        out[k] = (seq, sorted(pos))
    return out


def main():
    proteins = heldout()
    if sys.argv[1] == "fasta":
        with open(sys.argv[2], "w") as f:
            for k, (seq, _) in proteins.items():
                f.write(f">{k}\n{seq}\n")
        return
    scans = json.load(open(sys.argv[2]))
    hits = {"consensus mutants, first 2": 0, "consensus mutants, all": 0, "model register Φ, all": 0}
    named = {"consensus mutants, all": 0, "model register Φ, all": 0}
    total = 0
    for p in scans:
        seq, mutated = proteins[p["name"]]
        m = set(mutated)
        c = next((c for c in p["candidates"] if any(c["start"] - 5 <= x <= c["end"] + 5 for x in m)), None)
        if c is None:
            print(f"{p['name']}: no candidate near {sorted(m)}")
            continue
        total += len(m)
        shipped = [int(re.sub(r"\D", "", x)) for x in c["mutants"]]
        model = [q for q in (c.get("model_register") or {}).get("phi", []) if q and seq[q - 1] in HYDROPHOBIC]
        hits["consensus mutants, first 2"] += len(m & set(shipped[:2]))
        hits["consensus mutants, all"] += len(m & set(shipped))
        hits["model register Φ, all"] += len(m & set(model))
        named["consensus mutants, all"] += len(shipped)
        named["model register Φ, all"] += len(model)
        print(f"{p['name']:10} {c['start']}-{c['end']} mutants {c['mutants']} model Φ {model} known {sorted(m)}")
    for k, v in hits.items():
        print(f"{k}: {v} of {total}" + (f" ({named[k]} named)" if k in named else ""))


if __name__ == "__main__":
    main()
