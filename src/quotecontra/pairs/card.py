"""The dataset card (``pairs/README.md``): what is in the dataset, how it was made, and how far to trust it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from quotecontra.pairs.families import hinge_by_origin, negation_hinge_share
from quotecontra.records import LABELS, Pair

ORIGIN_DOC = {
    "negation": "the claim's main clause negated (a 'not' inserted with do-support, or removed); contradiction, "
    "or neutral when paired with a weaker claim",
    "double_negation": "both sides negated: not-b entails not-a when a entails b (contrapositive)",
    "antonym": "main predicate swapped for an antonym from the shipped lexicon (resources/antonyms.tsv); "
    "contradiction, and the claim entails the antonym negated",
    "number": "a number or year changed beyond the tolerance (contradiction), or rounded and hedged with 'about' "
    "within it (entailment)",
    "quantifier": "all/every/always vs some/sometimes vs no/never: all entails some, some contradicts no",
    "drop_modifier": "an optional modifier (adverb, adjunct phrase, adverbial clause, subsective adjective) dropped: "
    "entailment one way, neutral the other; direction reversed under negation",
    "sentence": "one sentence of a multi-sentence claim: entailed by the whole",
    "added_detail": "an unverifiable time/place detail added: the detailed claim entails the plain one, not vice versa",
    "other_claim": "another claim about the same target in the same article: neutral",
    "speaker_swap": "'A said that X' vs 'B said that X' (or not-X): reports by different speakers are compatible, "
    "so neutral, never contradiction",
    "synonym": "main predicate swapped for a synonym from resources/synonyms.tsv: entailment both ways; "
    "the synonym against the negated claim is a contradiction",
    "predicate": "the predicate rewritten into an incompatible one from resources/predicates.tsv, phrase-level "
    "('laid off' / 'hired', 'will close the depot' / 'will keep the depot open', 'is on track' / 'is behind "
    "schedule', 'a shortage of nurses' / 'enough nurses'); contradiction, the claim entails the rewrite negated, "
    "the negated pairs neutral (contrary) or contradictory/entailed (contradictory pairs)",
    "denial": "denial and confirmation frames: 'X denied that P', 'It is false that P', 'Claims that P are false' "
    "contradict P (the guide compares contents), 'X confirmed that P' entails P; frame adverbs, a weaker P, the "
    "negated P, and the negation lattice written as 'It is false that ...' give entailments and neutrals with the "
    "same frames",
    "timeline": "the time of a one-off event moved, widened or narrowed ('in March' / 'in December' / 'by April' / "
    "'not before the summer'); labels from the sets of times each allows, made only when every reading agrees",
    "quantity": "a count bounded differently ('only 41' / 'more than 300' / 'at least 20'), a universal vs a counted "
    "exception ('No child will ...' / 'Two children will ...', 'All the depots will stay open' / 'At least two of "
    "the depots will close'); labels from the counts each allows, a bare number read as exact and as a floor",
    "cross_claim": "two claims of one article about one target, A and B: 'A. B' contradicts B with its predicate "
    "made incompatible (B'), and entails A and B; A vs B' is neutral (the other_claim assumption)",
    "gold": "natural pair labelled in a gold file (data/gold, ../shared/seed)",
    "annotated": "natural pair labelled by annotators in Label Studio, from an annotation batch (pairs.annotations); "
    "its annotator is `<batch>:<voters>`, the batch is in the table of annotation batches",
    "natural": "unlabelled natural candidate (same target, different speakers or articles)",
}


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{100 * v:.1f}"
    return "" if v is None else str(v)


def _annotation_section(table: Mapping[str, Any] | None) -> list[str]:
    """Which annotation batch each annotated pair came from: digest, annotators, time range, what it changed."""
    if not table:
        return []
    out = [
        "## Annotation batches",
        "",
        "Pairs labelled in Label Studio (`pairs.annotations`, oldest first). An annotated pair's `annotator` is",
        "`<batch>:<voters>`; `pairs/annotations.json` lists the pair ids of each batch. The batch's gold files",
        "replaced the pipeline's quote records of their articles before claims and pairs were built.",
        "",
    ]
    rows = [
        [
            f"`{r['batch']}`",
            f"`{r['path']}`",
            f"`{r['digest']}`",
            ", ".join(r["annotators"]) or "-",
            f"{r['first_annotation'] or '?'} .. {r['last_annotation'] or '?'}",
            r["split"],
            r["pairs_read"],
            r["pairs_kept"],
            len(r["articles_replaced"]),
        ]
        for r in table.get("batches", [])
    ]
    header = ["batch", "path", "sha256", "annotators", "time range", "split", "pairs read", "kept", "articles"]
    out += [_table(header, rows), ""]
    out.append("'kept' counts the pairs in the natural pool; 'articles' counts articles whose records were replaced.")
    for r in table.get("batches", []):
        skipped = {k: v for k, v in r["counts"].items() if k not in {"read", "kept"}}
        if skipped:
            out.append(f"- `{r['batch']}`: " + ", ".join(f"{v} {k}" for k, v in sorted(skipped.items())))
    c = table.get("counts", {})
    if c.get("held out with a linked held-out article"):
        out.append(
            f"- {c['held out with a linked held-out article']} natural pairs share a group with a held-out article "
            "and are held out with it."
        )
    out.append(f"- Largest group of linked articles: {c.get('largest group (articles)', 1)}.")
    conflicts = table.get("conflicts", [])
    if conflicts:
        out += ["", f"**{len(conflicts)} imported labels disagree with a gold file** (the gold label is kept):", ""]
        out += [f"- {m}" for m in conflicts[:50]]
        if len(conflicts) > 50:
            out.append(f"- ... and {len(conflicts) - 50} more (pairs/annotations.json)")
    return out


def render_card(
    splits: Mapping[str, Sequence[Pair]],
    candidates: Sequence[Pair],
    baselines: Mapping[str, float],
    artifacts: Mapping[str, Any],
    skips: Mapping[str, int],
    config_yaml: str,
    warnings: Sequence[str],
    encoder: str,
) -> str:
    """Markdown card with HF-style YAML front matter; every number in it is computed by the caller."""
    lines = [
        "---",
        "language: [en]",
        "task_categories: [text-classification]",
        "task_ids: [natural-language-inference]",
        "pretty_name: quotecontra pairs",
        "configs:",
        "- config_name: default",
        "  data_files:",
        *[f"  - split: {s}\n    path: {s}.parquet" for s in splits],
        "---",
        "",
        "# quotecontra pairs",
        "",
        "Premise/hypothesis pairs of decontextualised news claims labelled contradiction / entailment / neutral.",
        "`train`/`dev`/`test` hold synthetic minimal-edit pairs (every label made from the same source sentence);",
        "`natural` holds gold-labelled pairs of real claims; `natural_candidates.parquet` holds unlabelled natural",
        "pairs for annotation. Splits are by article: no article's pairs appear in two of train/dev/test.",
        "",
    ]
    if warnings:
        lines += ["## Warnings", "", *[f"- **{w}**" for w in warnings], ""]
    lines += ["## Counts per split and label", ""]
    rows = []
    for s, pairs in splits.items():
        c = Counter(p.label for p in pairs)
        n = len(pairs) or 1
        rows.append(
            [
                s,
                len(pairs),
                *[f"{c.get(lab, 0)} ({100 * c.get(lab, 0) / n:.1f}%)" for lab in LABELS],
                len({p.group for p in pairs}),
            ]
        )
    rows.append(["natural_candidates", len(candidates), "-", "-", "-", len({p.group for p in candidates})])
    lines += [_table(["split", "pairs", *LABELS, "groups"], rows), ""]

    lines += ["## Counts per origin, split and label", ""]
    origins = sorted({p.origin for ps in splits.values() for p in ps} | set(artifacts.get("origins_generated", {})))
    train = splits.get("train", [])
    hinge = hinge_by_origin(train)
    rows = []
    for o in origins:
        row: list[Any] = [o]
        for pairs in splits.values():
            c = Counter(p.label for p in pairs if p.origin == o)
            row.append("/".join(str(c.get(lab, 0)) for lab in LABELS))
        row.append(artifacts.get("origins_generated", {}).get(o, 0))
        row.append("-" if hinge.get(o) is None else f"{100 * cast(float, hinge[o]):.0f}")
        rows.append(row)
    shares = {s: negation_hinge_share(ps) for s, ps in splits.items() if s != "natural"}
    lines += [
        "Cells are contradiction/entailment/neutral counts; 'generated' is before dedup and balancing; 'C on not'",
        "is the share of the origin's train contradictions that hinge on a negation word (one side has a negation",
        "word the other lacks, so spotting the 'not' could solve the pair).",
        "",
        _table(["origin", *splits.keys(), "generated", "C on not (train %)"], rows),
        "",
        "Contradictions hinging on a negation word: "
        + ", ".join(f"{s} {'-' if v is None else f'{100 * v:.1f}%'}" for s, v in shares.items())
        + ".",
        "",
        "### What each origin means",
        "",
        *[f"- `{o}`: {ORIGIN_DOC.get(o, '')}" for o in origins],
        "",
    ]

    lines += ["## Artifact checks", ""]
    lines += [
        "Shortcut baselines are trained on `train` and scored on the synthetic `test` split. A baseline that beats",
        f"the majority rate by more than {artifacts.get('margin', 10.0):g} points means the labels can be guessed "
        "without reading the pair.",
        "",
    ]
    rows = [[k, f"{100 * v:.1f}"] for k, v in baselines.items()]
    lines += [_table(["baseline (test accuracy %)", "value"], rows), ""]
    neg = artifacts.get("negation_rate", {})
    if neg:
        rows = [[s, *[f"{100 * neg[s].get(lab, 0):.1f}" for lab in LABELS]] for s in neg]
        lines += ["Share of hypotheses containing a negation word (%), per label:", ""]
        lines += [_table(["split", *LABELS], rows), ""]
    side = artifacts.get("edited_premise", {})
    if side:
        rows = [[s, *[f"{100 * side[s].get(lab, 0):.1f}" for lab in LABELS]] for s in side]
        lines += ["Share of pairs whose edited claim is the premise (%), per label:", ""]
        lines += [_table(["split", *LABELS], rows), ""]
    if "leak_groups" in artifacts:
        lines += [f"Articles in more than one of train/dev/test: {artifacts['leak_groups']}.", ""]
    lines += [
        "Balancing: labels are equalised within each hypothesis-negation stratum, then an AFLite-style filter",
        "removes pairs that hypothesis-only or overlap-only models solve out-of-fold (folds by article) until",
        "neither beats chance by more than the filter margin. Rounds (accuracy %):",
        "",
    ]
    hist = artifacts.get("filter_history", [])
    if hist:
        cols = [k for k in hist[0] if k != "round"]
        lines += [_table(["round", *cols], [[h["round"], *[_fmt(h.get(c)) for c in cols]] for h in hist])]
    lines += ["", *_annotation_section(artifacts.get("annotations"))]
    lines += [
        "",
        "## Skipped input",
        "",
    ]
    lines += [_table(["reason", "count"], sorted(skips.items()))] if skips else ["Nothing skipped."]
    lines += [
        "",
        "## Known limitations",
        "",
        "- Labels of synthetic pairs follow from the edit, not from a reader; parser errors can make an edit",
        "  ungrammatical or change its scope (negation of a clause with an embedded clause, adjuncts attached low).",
        "- `other_claim` neutrals assume two claims about one target are independent; a few may contradict.",
        "  `cross_claim` neutrals (A vs B contradicted) rest on the same assumption.",
        "- `denial` labels a personal denial ('X denied that P') a contradiction of P by the guide's content rule;",
        "  read literally (a report), it is compatible with P. Pairs that need the content reading anywhere else",
        "  ('X denied that P' vs not-P) are not made.",
        "- `timeline` assumes unqualified months and weekdays fall in one year / week; `predicate`, `timeline` and",
        "  `quantity` assume both sides describe the same event ('laid off 200' / 'hired 200').",
        "- Claims are decontextualised by rules (pronouns resolved from the record's target, speaker, and the",
        "  sentence before the quote); unresolved pronouns remain.",
        "- The natural split shares articles with the synthetic splits (its articles are also the sample corpus);",
        "  synthetic pairs that repeat a gold pair are removed. Gold files marked `heldout` are pinned to `test`.",
        f"- Natural candidates are ranked by the `{encoder}` encoder.",
        "",
        "## Config",
        "",
        "```yaml",
        config_yaml.rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)
