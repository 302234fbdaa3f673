"""Imported annotations -> gold files (the data/gold format plus provenance), labeled pair records, agreement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from quotecontra.export.agreement import fleiss_kappa, pairwise_cohen
from quotecontra.export.label_studio.model import ImportedQuote, ImportResult, TaskError
from quotecontra.records import Pair
from quotecontra.safepath import safe_name


def agreement_summary(res: ImportResult) -> dict[str, Any]:
    """Pairs: Fleiss' kappa over multiply-labeled pairs and Cohen's kappa per annotator pair; quotes: span F1."""
    multi = [list(p.votes.values()) for p in res.pairs if len(p.votes) >= 2]
    ratings: dict[str, dict[str, str]] = defaultdict(dict)
    for p in res.pairs:
        for who, lab in p.votes.items():
            ratings[who][p.pair_id] = lab
    cohen = pairwise_cohen(ratings)
    defined = [v for v in cohen.values() if v is not None]
    arts = [a.agreement for a in res.articles if a.agreement]
    return {
        "pairs": {
            "multiply_labeled": len(multi),
            "fleiss_kappa": fleiss_kappa(multi),
            "cohen_kappa": cohen,
            "cohen_kappa_mean": sum(defined) / len(defined) if defined else None,
            "ties": sum(1 for p in res.pairs if p.label is None),
        },
        "quotes": {
            "multiply_annotated_articles": len(arts),
            "span_f1_exact": sum(a["span_f1_exact"] for a in arts) / len(arts) if arts else None,
            "span_f1_overlap": sum(a["span_f1_overlap"] for a in arts) / len(arts) if arts else None,
        },
    }


# ---------------------------------------------------------------------------------------------- to gold


def _gold_quote(iq: ImportedQuote, text: str) -> dict[str, Any]:
    q = iq.quote
    out: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "required": iq.required,
        "text": q.text,
        "speaker": None if q.speaker is None else _aliases(q.speaker, q.speaker_span, text),
        "cue": q.cue,
        "target": [q.target] if q.target else [],
    }
    if len(q.spans) > 1:
        out["pieces"] = [text[s:e] for s, e in q.spans]
    out.update(
        {
            "spans": [list(s) for s in q.spans],
            "speaker_span": list(q.speaker_span) if q.speaker_span else None,
            "cue_span": list(q.cue_span) if q.cue_span else None,
            "annotator": q.annotator,
            "updated_at": iq.updated_at,
            "changed": iq.changed,
            "predicted_id": iq.predicted_id,
        }
    )
    return out


def _aliases(canonical: str, span: tuple[int, int] | None, text: str) -> list[str]:
    """Canonical name first, then the mention as written when it differs (the gold format lists aliases)."""
    names = [canonical]
    if span is not None:
        mention = text[span[0] : span[1]]
        if mention and mention != canonical and mention.lower() not in {"he", "she", "they", "it", "we", "i"}:
            names.append(mention)
    return names


def pair_records(res: ImportResult, id_map: Mapping[str, str]) -> list[Pair]:
    """The labeled pairs as records (annotator = the voters), for the pairs stage or a dataset."""
    out = []
    for p in res.pairs:
        if p.label is None:
            continue
        out.append(
            Pair(
                id=p.pair_id,
                premise=p.premise,
                hypothesis=p.hypothesis,
                label=p.label,  # type: ignore[arg-type]
                origin=p.origin,
                premise_quote_id=id_map.get(p.premise_quote_id or "", p.premise_quote_id),
                hypothesis_quote_id=id_map.get(p.hypothesis_quote_id or "", p.hypothesis_quote_id),
                article_ids=p.article_ids,
                target=p.target,
                annotator=",".join(sorted(p.votes)),
            )
        )
    return out


def quote_id_map(res: ImportResult) -> dict[str, str]:
    """Predicted quote id -> imported id (they differ when an annotator moved a content span)."""
    return {iq.predicted_id: iq.quote.id for a in res.articles for iq in a.quotes if iq.predicted_id}


def gold_files(res: ImportResult, split: str) -> dict[str, dict[str, Any]]:
    """One gold document per annotated article, in the data/gold format plus provenance keys.

    A pair goes under ``pairs`` of its premise's article when both its quotes are in that file; a pair across
    articles, or one whose quotes are not (or no longer) annotated, goes under ``extra_pairs`` with its texts, so
    no label is lost and the gold checker's invariant (pairs name quotes of the file) holds. Tied votes go under
    ``disputed_pairs``.
    """
    id_map = quote_id_map(res)
    docs: dict[str, dict[str, Any]] = {}
    for art in res.articles:
        text = art.text
        docs[art.article_id] = {
            "article": f"{safe_name(art.article_id)}.txt",
            "article_id": art.article_id,
            "split": split,
            "quotes": [_gold_quote(iq, text) for iq in art.quotes],
            "pairs": [],
            "label_studio_task": art.task,
            "annotators": sorted({a.annotator for a in art.annotations}),
            "annotations": [
                {
                    "id": a.id,
                    "annotator": a.annotator,
                    "created_at": a.created_at,
                    "updated_at": a.updated_at,
                    "ground_truth": a.ground_truth,
                    "used": a is art.used,
                }
                for a in art.annotations
            ],
            "agreement": art.agreement,
            "removed_predictions": art.removed,
        }
    for p in res.pairs:
        a = id_map.get(p.premise_quote_id or "", p.premise_quote_id)
        b = id_map.get(p.hypothesis_quote_id or "", p.hypothesis_quote_id)
        home = p.article_ids[0] if p.article_ids else (a.rsplit(":", 1)[0] if a else None)
        doc = docs.get(home or "")
        if doc is None:
            continue  # no annotated article to hold it: it is still in the imported pairs file
        entry = {
            "a": a,
            "b": b,
            "label": p.label,
            "why": p.why,
            "pair_id": p.pair_id,
            "votes": p.votes,
            "majority": p.strict_majority,
            "annotators": sorted(p.votes),
            "updated_at": p.updated_at,
            "predicted_label": p.predicted_label,
            "label_studio_task": p.task,
        }
        ids = {q["id"] for q in doc["quotes"]}
        if p.label is None:
            doc.setdefault("disputed_pairs", []).append({**entry, "premise": p.premise, "hypothesis": p.hypothesis})
        elif a in ids and b in ids:
            doc["pairs"].append(entry)
        else:
            doc.setdefault("extra_pairs", []).append({**entry, "premise": p.premise, "hypothesis": p.hypothesis})
    return docs


def gold_file_names(docs: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, str], list[TaskError]]:
    """Article id -> gold file name (safe_name + .json), and an error for each id whose name another one took.

    Names are compared without case, since on Windows and macOS ``Bridge.json`` and ``bridge.json`` are one file.
    """
    names: dict[str, str] = {}
    taken: dict[str, str] = {}
    errors: list[TaskError] = []
    for aid in sorted(docs):
        name = f"{safe_name(aid)}.json"
        other = taken.get(name.lower())
        if other is not None:
            errors.append(
                TaskError(
                    str(docs[aid].get("label_studio_task")),
                    f"article {aid!r:.80} would be written to {name}, which is {names[other]} of article "
                    f"{other!r:.80} where file names ignore case: not written; give one of them another id",
                )
            )
            continue
        taken[name.lower()] = aid
        names[aid] = name
    return names, errors
