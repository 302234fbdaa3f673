"""The report stage: rank the natural candidate pairs by P(contradiction) and write what a user opens first.

Each candidate pair (two claims about one target, ``pairs/natural_candidates.parquet``) is scored by the trained
classifier in both directions and the two distributions are averaged: contradiction is symmetric, a classifier is not.
When the model dir holds ``calibration.json`` (a temperature and a decision threshold, written by cross-validation),
each direction is temperature-scaled before the average and a pair is called a contradiction when
P(contradiction) >= threshold, else the argmax of the other two labels; without it, temperature 1 and argmax.
Outputs: ``contradictions.jsonl`` (every pair, ranked) and a readable ``contradictions.md`` / ``.html`` grouped by
target. The ranking, grouping and rendering functions are pure and know no paths.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from quotecontra.models import MODEL_JSON, Classifier
from quotecontra.pairs.claims import Claim
from quotecontra.pairs.natural import canonical_target
from quotecontra.records import LABELS, Quote, read_jsonl
from quotecontra.runpaths import RunPaths
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker

log = logging.getLogger(__name__)

Row = dict[str, Any]
FORMATS = ("md", "html")
CONTRADICTION = "contradiction"
NO_TARGET = "(no target)"
SIDES = ("premise", "hypothesis")


def report_paths(run_dir: str | Path, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """jsonl + one readable file per format, in run_dir."""
    root = Path(run_dir)
    return {"jsonl": root / "contradictions.jsonl", **{f: root / f"contradictions.{f}" for f in formats}}


# --- probabilities ------------------------------------------------------------------------------------------------


def describe_decision(cal: Mapping[str, Any] | None) -> str:
    if cal is None or cal.get("threshold") is None:
        return "argmax label (no calibration.json: temperature 1)"
    return f"contradiction when P(contradiction) >= {cal['threshold']:.3f} (temperature {cal['temperature']:.3f})"


def symmetric_proba(
    clf: Classifier, premises: Sequence[str], hypotheses: Sequence[str], batch_size: int
) -> tuple[np.ndarray, list[str]]:
    """Mean of the calibrated A->B and B->A distributions (one predict_proba call), and the labels decided on it.

    Each direction gets the model's temperature before the average; the decision rule (threshold, entailment
    offset) is then applied to the symmetric probability (:func:`quotecontra.calibrate.symmetric`).
    """
    from quotecontra.calibrate import symmetric

    n = len(premises)
    both = clf.predict_proba([*premises, *hypotheses], [*hypotheses, *premises], batch_size, progress=n > 128)
    return symmetric(both[:n], both[n:], clf.labels, clf.calibration)


# --- rows ---------------------------------------------------------------------------------------------------------


def read_candidates(path: Path) -> list[Row]:
    """The candidate pairs as plain dicts (article_ids a list, missing values None)."""
    import pandas as pd

    if not path.exists():
        raise FileNotFoundError(f"{path}: no natural candidates (run the pairs stage first: quotecontra pairs)")
    df = pd.read_parquet(path)
    rows = []
    for rec in df.to_dict(orient="records"):
        ids = rec.get("article_ids")
        rec["article_ids"] = [str(a) for a in ids] if ids is not None else []
        rows.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()})
    return rows


def read_sides(claims_path: Path, quotes_path: Path, wanted: set[str]) -> dict[str, Row]:
    """quote id -> speaker, original quote, claim, article id: from claims.jsonl, else quotes.jsonl (no claim)."""
    sides: dict[str, Row] = {}
    if quotes_path.exists():
        for q in read_jsonl(quotes_path, Quote):
            if q.id in wanted:
                sides[q.id] = {"speaker": q.speaker, "quote": q.text, "claim": None, "article_id": q.article_id}
    if claims_path.exists():
        for c in read_jsonl(claims_path, Claim):
            if c.quote_id in wanted:
                known = sides.get(c.quote_id, {})
                sides[c.quote_id] = {
                    "speaker": c.speaker or known.get("speaker"),
                    "quote": c.original,
                    "claim": c.claim,
                    "article_id": c.article_id,
                }
    else:
        log.warning("%s not found: claims fall back to the pairs' premise/hypothesis text", claims_path)
    return sides


def build_rows(
    candidates: Sequence[Row], probs: np.ndarray, labels: Sequence[str], predicted: Sequence[str], sides: Mapping
) -> list[Row]:
    """One record per pair: both sides (claim falls back to the pair's text), all probabilities, labels."""
    rows = []
    for cand, p, pred in zip(candidates, probs, predicted, strict=True):
        row: Row = {"id": cand.get("id"), "target": cand.get("target"), "article_ids": list(cand["article_ids"])}
        for side in SIDES:
            qid = cand.get(f"{side}_quote_id")
            info = sides.get(qid, {}) if qid else {}
            row[f"{side}_quote_id"] = qid
            row[f"{side}_speaker"] = info.get("speaker")
            row[f"{side}_quote"] = info.get("quote")
            row[f"{side}_claim"] = info.get("claim") or cand[side]
            row[f"{side}_article_id"] = info.get("article_id")
        by_label = {label: round(float(x), 4) for label, x in zip(labels, p, strict=True)}
        # contradiction first
        scores: dict[str, float] = {label: by_label[label] for label in LABELS if label in by_label}
        sim = cand.get("similarity")
        row["similarity"] = None if sim is None else round(float(sim), 4)
        row["p_contradiction"] = scores[CONTRADICTION]
        row["probs"] = scores
        row["predicted"] = pred
        row["gold"] = cand.get("label")
        rows.append(row)
    return rows


def rank_rows(rows: Sequence[Row]) -> list[Row]:
    """Highest P(contradiction) first (ties by pair id, so the order is stable); each row gets its 1-based rank."""
    ranked = sorted(rows, key=lambda r: (-r["p_contradiction"], str(r.get("id"))))
    return [{"rank": i, **r} for i, r in enumerate(ranked, 1)]


def select_rows(rows: Sequence[Row], top_k: int, min_probability: float) -> list[Row]:
    """The ranked rows shown in the readable report: at least min_probability, at most top_k (0: all)."""
    kept = [r for r in rows if r["p_contradiction"] >= min_probability]
    return kept[:top_k] if top_k > 0 else kept


def group_by_target(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """Ranked rows grouped by canonical target; groups by their top probability, then name. Rank order inside."""
    groups: dict[str, list[Row]] = {}
    names: dict[str, str] = {}
    for r in rows:
        key = canonical_target(r.get("target")) or NO_TARGET
        groups.setdefault(key, []).append(r)
        names.setdefault(key, r.get("target") or NO_TARGET)
    order = sorted(groups, key=lambda k: (-max(r["p_contradiction"] for r in groups[k]), k))
    return [(names[k], sorted(groups[k], key=lambda r: r["rank"])) for k in order]


# --- rendering ----------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]<#|~])")
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # intraword _ never formats: kept readable


def md_text(text: Any) -> str:
    """Inline Markdown: one line, with the characters that would format or inject HTML escaped."""
    out = _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)).strip())
    return _MD_UNDERSCORE.sub(r"\\_", out)


def speaker_of(row: Row, side: str) -> str:
    return row.get(f"{side}_speaker") or "unattributed"


def header_lines(header: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) lines shared by both renderings."""
    return [
        ("run", str(header["run_dir"])),
        ("model", str(header["model"])),
        ("decision", str(header["decision"])),
        (
            "pairs",
            f"{header['n_pairs']} candidate pairs over {header['n_targets']} targets, "
            f"{header['n_contradictions']} predicted contradictions, mean P(contradiction) {header['mean_p']:.3f}",
        ),
        ("shown", f"{header['n_shown']} pairs (top_k={header['top_k']}, min_probability={header['min_probability']})"),
    ]


def empty_line(header: Mapping[str, Any]) -> str | None:
    """Why nothing is listed, or None when pairs are shown."""
    if header["n_pairs"] == 0:
        return "No natural candidate pairs in this run: no two claims about one target passed the pairs stage."
    if header["n_shown"] == 0:
        return f"No pair reaches min_probability={header['min_probability']} (the highest is {header['max_p']:.3f})."
    return None


def pair_facts(row: Row) -> str:
    """Predicted (and gold) label, the three probabilities, similarity and articles, as one plain line."""
    probs = ", ".join(f"{k} {v:.3f}" for k, v in row["probs"].items())
    facts = f"predicted {row['predicted']}" + (f" (gold: {row['gold']})" if row.get("gold") else "")
    sim = f", similarity {row['similarity']:.2f}" if row.get("similarity") is not None else ""
    return f"{facts}; {probs}{sim}; articles: {', '.join(row['article_ids']) or '?'}"


def render_markdown(rows: Sequence[Row], header: Mapping[str, Any]) -> str:
    """The report as Markdown: header, then one section per target with its pairs."""
    out = ["# Contradictions", ""]
    out += [f"- **{name}**: {md_text(value)}" for name, value in header_lines(header)]
    out += ["", "P(contradiction) is averaged over both directions (A vs B and B vs A).", ""]
    if (why := empty_line(header)) is not None:
        return "\n".join([*out, why, ""])
    for name, group in group_by_target(rows):
        top = group[0]["p_contradiction"]
        out += [f"## {md_text(name)}", "", f"{len(group)} pairs, top P(contradiction) {top:.3f}", ""]
        for r in group:
            out += [f"### #{r['rank']}: P(contradiction) {r['p_contradiction']:.3f}, {r['predicted']}", ""]
            for letter, side in zip("AB", SIDES, strict=True):
                where = f" ({md_text(r[f'{side}_article_id'])})" if r.get(f"{side}_article_id") else ""
                out.append(f"- **{letter}: {md_text(speaker_of(r, side))}**{where}")
                if r.get(f"{side}_quote"):
                    out.append(f"  - quote: “{md_text(r[f'{side}_quote'])}”")
                out.append(f"  - claim: {md_text(r[f'{side}_claim'])}")
            out += [f"- {md_text(pair_facts(r))}", ""]
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "section.pair{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}"
    ".p{font-weight:bold}.contradiction{color:#b00020}.quote{color:#555;font-style:italic}"
    "table.side{border-collapse:collapse;width:100%}table.side td{vertical-align:top;padding:.3rem .6rem;width:50%}"
    "dl.header dt{font-weight:bold;float:left;width:6rem}dl.header dd{margin-left:6.5rem}"
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def render_html(rows: Sequence[Row], header: Mapping[str, Any]) -> str:
    """The same report as one self-contained HTML page; every piece of text is escaped."""
    out = ['<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Contradictions</title>']
    out += [f"<style>{_CSS}</style></head><body>", '<h1>Contradictions</h1>\n<dl class="header">']
    out += [f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in header_lines(header)]
    out += ["</dl>", "<p>P(contradiction) is averaged over both directions (A vs B and B vs A).</p>"]
    if (why := empty_line(header)) is not None:
        return "\n".join([*out, f'<p class="empty">{_e(why)}</p>', "</body></html>", ""])
    for name, group in group_by_target(rows):
        out.append(
            f"<h2>{_e(name)}</h2><p>{len(group)} pairs, top P(contradiction) {group[0]['p_contradiction']:.3f}</p>"
        )
        for r in group:
            cls = "p contradiction" if r["predicted"] == CONTRADICTION else "p"
            out.append(
                f'<section class="pair" id="pair-{r["rank"]}"><div class="{cls}">#{r["rank"]}: '
                f"P(contradiction) {r['p_contradiction']:.3f}, {_e(r['predicted'])}</div>"
            )
            cells = []
            for letter, side in zip("AB", SIDES, strict=True):
                where = f" ({_e(r[f'{side}_article_id'])})" if r.get(f"{side}_article_id") else ""
                quote = f'<div class="quote">“{_e(r[f"{side}_quote"])}”</div>' if r.get(f"{side}_quote") else ""
                cells.append(
                    f"<td><b>{letter}: {_e(speaker_of(r, side))}</b>{where}{quote}"
                    f"<div>claim: {_e(r[f'{side}_claim'])}</div></td>"
                )
            out.append(f'<table class="side"><tr>{"".join(cells)}</tr></table><p>{_e(pair_facts(r))}</p></section>')
    out += ["</body></html>", ""]
    return "\n".join(out)


# --- stage --------------------------------------------------------------------------------------------------------


def describe_model(model_dir: Path) -> str:
    """kind and weights from model.json, for the report header."""
    meta_file = model_dir / MODEL_JSON
    if not meta_file.exists():
        return str(model_dir)
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    name = (meta.get("config") or {}).get("model", {}).get("name_or_path")
    return f"{meta.get('kind', '?')}" + (f" ({name})" if name else "") + f", {model_dir}"


def check_options(formats: Sequence[str], top_k: int, min_probability: float) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"report.formats: unknown {unknown} (choose from {list(FORMATS)})")
    if top_k < 0:
        raise ValueError(f"report.top_k must be >= 0 (0: all), got {top_k}")
    if not 0.0 <= min_probability <= 1.0:
        raise ValueError(f"report.min_probability must be in [0, 1], got {min_probability}")


def score_candidates(cfg: DictConfig, candidates: Sequence[Row]) -> tuple[np.ndarray, list[str], list[str], str]:
    """Both-direction probabilities from run_dir/model (loaded the way evaluate loads it), label order, decisions."""
    import torch

    from quotecontra.models import load_classifier, set_inference_precision

    torch.set_num_threads(int(cfg.runtime.torch_threads))
    clf = set_inference_precision(load_classifier(RunPaths.of(cfg.run_dir).model), cfg.runtime.bf16)
    premises = [str(c["premise"]) for c in candidates]
    hypotheses = [str(c["hypothesis"]) for c in candidates]
    probs, predicted = symmetric_proba(clf, premises, hypotheses, int(cfg.runtime.eval_batch_size))
    return probs, list(clf.labels), predicted, describe_decision(clf.calibration)


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Rank pairs/natural_candidates.parquet by P(contradiction); write contradictions.jsonl and the readable report."""
    rc = cfg.report
    formats, top_k, min_p = [str(f) for f in rc.formats], int(rc.top_k), float(rc.min_probability)
    check_options(formats, top_k, min_p)
    paths = RunPaths.of(cfg.run_dir)
    out = report_paths(cfg.run_dir, formats)
    candidates = read_candidates(paths.pairs_parquet("natural_candidates"))
    rows: list[Row] = []
    decision = describe_decision(None)
    if candidates:
        probs, labels, predicted, decision = score_candidates(cfg, candidates)
        wanted = {c[f"{s}_quote_id"] for c in candidates for s in SIDES if c.get(f"{s}_quote_id")}
        sides = read_sides(paths.claims, paths.quotes, wanted)
        rows = rank_rows(build_rows(candidates, probs, labels, predicted, sides))
    shown = select_rows(rows, top_k, min_p)
    p_values = [r["p_contradiction"] for r in rows]
    header = {
        "run_dir": cfg.run_dir,
        "model": describe_model(paths.model),
        "decision": decision,
        "n_pairs": len(rows),
        "n_targets": len(group_by_target(rows)),
        "n_contradictions": sum(r["predicted"] == CONTRADICTION for r in rows),
        "mean_p": float(np.mean(p_values)) if p_values else 0.0,
        "max_p": max(p_values, default=0.0),
        "n_shown": len(shown),
        "top_k": top_k,
        "min_probability": min_p,
    }
    out["jsonl"].parent.mkdir(parents=True, exist_ok=True)
    with out["jsonl"].open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    renderers = {"md": render_markdown, "html": render_html}
    for fmt in formats:
        out[fmt].write_text(renderers[fmt](shown, header), encoding="utf-8")
    metrics = {
        "n_pairs": float(len(rows)),
        "n_predicted_contradictions": float(header["n_contradictions"]),
        "mean_p_contradiction": header["mean_p"],
        "n_shown": float(len(shown)),
    }
    return StageResult(metrics=metrics, outputs=list(out.values()), summary=summary_lines(rows, header))


def summary_lines(rows: Sequence[Row], header: Mapping[str, Any]) -> list[str]:
    """The stage summary: counts and the top pair."""
    if not rows:
        return ["no natural candidate pairs: wrote an empty report"]
    top = rows[0]
    claim_a, claim_b = (str(top[f"{s}_claim"])[:90] for s in SIDES)
    return [
        f"{header['n_pairs']} pairs over {header['n_targets']} targets: {header['n_contradictions']} predicted "
        f"contradictions ({header['decision']}), mean P(contradiction) {header['mean_p']:.3f}",
        f"top pair: P={top['p_contradiction']:.3f} [{top.get('target') or NO_TARGET}] {speaker_of(top, 'premise')} "
        f'"{claim_a}" vs {speaker_of(top, "hypothesis")} "{claim_b}"',
    ]
