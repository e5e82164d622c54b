"""Draw the GB/T 4754 evaluation records: CSL papers, CSLDCP abstracts and demand texts."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from silian.reference import data as reference

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "records.jsonl"
SEED = 4754
# Research abstracts and demand-like texts, the two kinds of text the tagger sees in the product.
N_PAPERS = 100
N_CSLDCP = 30
N_DEMANDS = 70


def sample(seed: int = SEED) -> list[dict[str, Any]]:
    """The 200 records, in a fixed order (same seed, same data → same records)."""
    rng = random.Random(seed)
    demands = rng.sample(reference.demand_texts(), N_DEMANDS)
    # A demand is written from one paper: keep that paper out so no topic is counted twice.
    used = {str(d["paper_id"]) for d in demands}
    papers = [r for r in reference.csl_records() if str(r["id"]) not in used]
    picked_papers = rng.sample(papers, N_PAPERS)
    picked_csldcp = rng.sample(reference.csldcp_abstracts(), N_CSLDCP)
    rows: list[dict[str, Any]] = []
    for r in picked_papers:
        text = f"{r['title']}。{r['abstract']}"
        rows.append({"source": f"csl:{r['id']}", "text": text})
    for r in picked_csldcp:
        rows.append({"source": f"csldcp:{r['id']}", "text": str(r["content"])})
    for d in demands:
        rows.append({"source": f"demand:{d['paper_id']}:{d['org_type']}", "text": str(d["text"])})
    rng.shuffle(rows)
    return [{"id": f"g{n:03d}", **row} for n, row in enumerate(rows, 1)]


def write(path: Path = RECORDS) -> int:
    """Write the records as JSON lines; returns how many."""
    rows = sample()
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


if __name__ == "__main__":
    print(write())
