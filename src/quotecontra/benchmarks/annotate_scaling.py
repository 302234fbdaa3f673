"""Annotate time against article length: it must grow linearly, also on a pathological article.

Two articles at 1x, 2x, 4x and 8x their base length, each annotated alone through the stage's own path
(:func:`~quotecontra.annotate.stream.annotate_articles`: parse, then the rules; long articles in windows):

- ``repeated_cue``: "the mayor said it was good and the council said" repeated ``BASE_REPEATS`` times with no
  quotation marks and no sentence end, one sentence whose reported clauses nest to the end of the text (the article
  of issue 13, which cost 115.8 s at 1,000 repeats when every cue listed its whole clause subtree);
- ``normal_long``: the sample corpus's article bodies joined as paragraphs of one article, ``BASE_WORDS`` words at
  1x (8x is about the whole corpus, and over the window size, so it is parsed in paragraph windows).

For each: the fastest of ``ROUNDS`` timings per length in CPU seconds of this process (on a shared machine wall time
mostly measures the neighbours; wall times are kept beside), a least-squares line seconds = a + b * words with its
R^2, and the 8x/1x time ratio; the target is ratio <= ``MAX_RATIO`` (linear is 8). Rounds go over all lengths in
turn, so a change in machine load hits every length alike. The rules alone (on a parsed Doc) are timed too where
the article is parsed whole, since the rules are where the quadratic walks were.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from quotecontra.records import Article

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "experiments" / "bench" / "annotate_scaling.json"
SCALES = (1, 2, 4, 8)
ROUNDS = 3
BASE_REPEATS = 125
BASE_WORDS = 2_000
MAX_RATIO = 9.0
CUE_SENTENCE = "the mayor said it was good and the council said "


def repeated_cue(scale: int, base: int = BASE_REPEATS) -> Article:
    """The issue-13 article: one reported-speech sentence repeated, no quotation marks."""
    text = "Council row\n" + (CUE_SENTENCE * base * scale).strip() + ".\n"
    return Article(id=f"repeated-cue-{scale}x", title="Council row", text=text)


def normal_long(corpus: list[Article], scale: int, base: int = BASE_WORDS) -> Article:
    """The corpus's article bodies as the paragraphs of one article, until ``base * scale`` words."""
    want, words, paras = base * scale, 0, []
    while words < want:
        for art in corpus:
            for para in art.text.split("\n")[1:]:
                if para.strip():
                    paras.append(para.strip())
                    words += len(para.split())
            if words >= want:
                break
    return Article(id=f"normal-long-{scale}x", title="Corpus digest", text="Corpus digest\n" + "\n".join(paras) + "\n")


def fit(xs: list[float], ys: list[float]) -> dict[str, float]:
    """Least-squares line y = intercept + slope * x and its coefficient of determination."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return {
        "slope_s_per_1k_words": slope * 1000,
        "intercept_s": intercept,
        "r2": 1 - ss_res / ss_tot if ss_tot else 1.0,
    }


def _timed(fn: Any) -> tuple[float, float, Any]:
    """(CPU seconds of this process, wall seconds, result) of one call."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def measure(articles: list[Article], nlp: Any, options: Any, rounds: int) -> dict[str, Any]:
    """Per length: fastest CPU time (full path; rules alone where parsed whole), wall times, the fit, the ratio."""
    from quotecontra.annotate.extract import annotate_doc
    from quotecontra.annotate.limits import WINDOW_CHARS
    from quotecontra.annotate.stream import annotate_articles

    runs: dict[str, dict[str, list[float]]] = {a.id: {"cpu": [], "wall": [], "rules": []} for a in articles}
    n_quotes: dict[str, int] = {}
    for _ in range(rounds):
        for art in articles:
            errors: list[tuple[str, str]] = []
            cpu, wall, got = _timed(lambda a=art, e=errors: list(annotate_articles([a], nlp, options, errors=e)))
            if errors:
                raise RuntimeError(f"{art.id} failed in the benchmark: {errors[0][1]}")
            runs[art.id]["cpu"].append(cpu)
            runs[art.id]["wall"].append(wall)
            n_quotes[art.id] = len(got[0][1])
            if len(art.text) <= WINDOW_CHARS:
                doc = nlp(art.text)
                runs[art.id]["rules"].append(_timed(lambda a=art, d=doc: annotate_doc(d, a, options))[0])
    rows: list[dict[str, Any]] = []
    for art in articles:
        r = runs[art.id]
        rows.append(
            {
                "article": art.id,
                "chars": len(art.text),
                "words": len(art.text.split()),
                "windowed": len(art.text) > WINDOW_CHARS,
                "quotes": n_quotes[art.id],
                "cpu_seconds": min(r["cpu"]),
                "cpu_runs_s": r["cpu"],
                "wall_median_s": statistics.median(r["wall"]),
                "wall_runs_s": r["wall"],
                "rules_cpu_seconds": min(r["rules"]) if r["rules"] else None,
            }
        )
    words = [float(r["words"]) for r in rows]
    ratio = rows[-1]["cpu_seconds"] / rows[0]["cpu_seconds"] if rows[0]["cpu_seconds"] else None
    out: dict[str, Any] = {
        "lengths": rows,
        "fit": fit(words, [r["cpu_seconds"] for r in rows]),
        "wall_fit": fit(words, [r["wall_median_s"] for r in rows]),
        "ratio_8x_over_1x": ratio,
        "linear": ratio is not None and ratio <= MAX_RATIO,
    }
    rule_rows = [r for r in rows if r["rules_cpu_seconds"] is not None]
    if len(rule_rows) > 1:
        out["rules_fit"] = fit([float(r["words"]) for r in rule_rows], [r["rules_cpu_seconds"] for r in rule_rows])
        out["rules_ratio_8x_over_1x"] = rule_rows[-1]["rules_cpu_seconds"] / rule_rows[0]["rules_cpu_seconds"]
    return out


def main(out: Path = OUT, rounds: int = ROUNDS, scales: tuple[int, ...] = SCALES) -> dict[str, Any]:
    from dataclasses import replace

    from quotecontra.annotate.extract import build_nlp
    from quotecontra.benchmarks.annotate import load_config, machine
    from quotecontra.quote_eval import annotate_options, reader_options
    from quotecontra.readers import ReadReport, iter_articles

    cfg = load_config()
    corpus = list(iter_articles(ROOT / cfg.input, reader_options(cfg), ReadReport()))
    options = replace(annotate_options(cfg), max_seconds_per_article=0.0)  # time everything, skip nothing
    nlp = build_nlp(options.spacy_model)
    nlp(corpus[0].text)  # warm-up: lazy loading in spaCy
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    result = {
        "scales": list(scales),
        "rounds": rounds,
        "timing": "fastest of the rounds, CPU seconds of this process (process_time); wall times beside",
        "max_ratio": MAX_RATIO,
        "spacy_model": options.spacy_model,
        "repeated_cue": measure([repeated_cue(s) for s in scales], nlp, options, rounds),
        "normal_long": measure([normal_long(corpus, s) for s in scales], nlp, options, rounds),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    result["linear"] = result["repeated_cue"]["linear"] and result["normal_long"]["linear"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
