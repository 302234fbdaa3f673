"""Claim quality on the gold fixture: exact match, token F1 and skip precision/recall, overall and per category.

The fixture (tests/fixtures/claims_gold.jsonl, fictional text) is the one the unit test holds to a floor; this
writes the full figures and the records that miss, so a change to the claims stage shows what it fixed or broke.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "claims_gold.jsonl"
OUT = ROOT / "experiments" / "bench" / "claims.json"


def main(out: Path = OUT, fixture: Path = FIXTURE) -> dict[str, Any]:
    import spacy

    from quotecontra.benchmarks.annotate import load_config
    from quotecontra.pairs.claim_eval import evaluate

    if not fixture.exists():
        raise FileNotFoundError(f"claims gold fixture not found: {fixture}")
    model = load_config().annotate.spacy_model
    nlp = spacy.load(model)
    t0 = time.perf_counter()
    scores, misses = evaluate(fixture, nlp)
    seconds = time.perf_counter() - t0
    result = {
        "fixture": str(fixture.relative_to(ROOT)) if fixture.is_relative_to(ROOT) else str(fixture),
        "spacy_model": model,
        "scores": scores.as_dict(),
        "misses": misses,
        "seconds": seconds,
        "records_per_s": scores.n / seconds if seconds else None,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
