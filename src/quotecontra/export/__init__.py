"""Stages ``export`` and ``import-annotations``: the I/O edges around the pure converters of this package.

``export`` writes, from a run dir, Label Studio tasks with the pipeline's output as pre-annotations (and the two
labeling configs beside them), the dataset as JSONL, CSV and a Hugging Face dataset, and doccano JSONL for the
quote spans. ``import-annotations file=EXPORT.json`` turns a Label Studio JSON export back into gold files.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig
from tqdm import tqdm

from quotecontra.export import formats
from quotecontra.export.label_studio import (
    PAIRS_CONFIG,
    QUOTES_CONFIG,
    BadTask,
    ImportResult,
    article_task,
    check_id,
    gold_file_names,
    gold_files,
    pair_records,
    parse_export,
    quote_id_map,
)
from quotecontra.export.select import select_tasks
from quotecontra.pairs_store import read_records
from quotecontra.records import Article, Pair, Quote, read_jsonl, write_jsonl
from quotecontra.runpaths import RunPaths
from quotecontra.safepath import inside, safe_name
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker

log = logging.getLogger(__name__)
FORMATS = ("label_studio", "jsonl", "csv", "hf", "doccano")


def _write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _importable_ids(articles: dict[str, Article]) -> list[str]:
    """Article ids whose tasks import-annotations can take back; a task it would refuse is not worth annotating."""
    out = []
    for aid in articles:
        try:
            out.append(check_id(aid, "article id"))
        except BadTask as exc:
            log.warning("label studio: article skipped: %s", exc)
    return out


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    ecfg = cfg.export
    unknown = sorted(set(ecfg.formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"export.formats: unknown {unknown}; choose from {list(FORMATS)}")
    paths = RunPaths.of(cfg.run_dir)
    out = Path(ecfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    articles = {a.id: a for a in read_jsonl(paths.articles, Article)}
    quotes = list(read_jsonl(paths.quotes, Quote))
    pair_splits, pair_skips = read_records(paths)
    tracker.log_input("quotes", paths.quotes, context="export")
    if paths.pairs.exists():
        tracker.log_input("pairs", paths.pairs, context="export")

    by_article: dict[str, list[Quote]] = defaultdict(list)
    orphans = 0
    for q in quotes:
        if q.article_id in articles:
            by_article[q.article_id].append(q)
        else:
            orphans += 1
            log.warning("quote %s names article %s, which articles.jsonl lacks: skipped", q.id, q.article_id)
    kept_quotes = [q for a in articles for q in by_article[a]]
    metrics: dict[str, float] = {"quotes": len(kept_quotes), "articles": len(articles), "quotes_skipped": orphans}
    metrics.update({f"pairs_{k}": len(v) for k, v in pair_splits.items()})
    metrics.update({f"pairs_skipped_{k}": v for k, v in pair_skips.items()})
    outputs: list[Path] = []
    summary: list[str] = []
    selection: dict[str, Any] | None = None

    if "label_studio" in ecfg.formats:
        ls = _fresh(out / "label_studio")
        usable = _importable_ids(articles)
        metrics["ls_articles_skipped"] = len(articles) - len(usable)
        a_tasks = [
            article_task(articles[a], by_article[a], ecfg.model_version)
            for a in tqdm(usable, desc="label studio tasks", unit="article", disable=True if len(usable) < 50 else None)
        ]
        chosen = [p for src in ecfg.label_studio_pairs for p in pair_splits.get(src, [])]
        missing = [src for src in ecfg.label_studio_pairs if src not in pair_splits]
        if missing:
            log.warning("export.label_studio_pairs: %s not found in %s", missing, paths.pairs)
        sel = select_tasks(
            chosen,
            str(ecfg.select),
            int(ecfg.max_pair_tasks),
            paths.model,
            ecfg.model_version,
            int(cfg.seed),
            int(ecfg.select_per_target),
            int(ecfg.select_per_article),
        )
        p_tasks, selection = sel.tasks, sel.manifest
        _write_json(ls / "quotes_tasks.json", a_tasks)
        (ls / "quotes_config.xml").write_text(QUOTES_CONFIG, encoding="utf-8")
        _write_json(ls / "pairs_tasks.json", p_tasks)
        (ls / "pairs_config.xml").write_text(PAIRS_CONFIG, encoding="utf-8")
        metrics.update({"ls_article_tasks": len(a_tasks), "ls_pair_tasks": len(p_tasks)})
        summary.append(f"label studio: {len(a_tasks)} article tasks, {len(p_tasks)} pair tasks (+ labeling configs)")
        if selection["strategy"] != "first":
            summary.append(
                f"pair tasks chosen by {selection['strategy']}: {selection['batch']} of {selection['pool']} unlabelled "
                f"pairs, {selection['targets']} targets, {selection['articles']} articles"
            )
        outputs.append(ls)

    qrows = formats.quote_rows(kept_quotes)
    prows = {k: formats.pair_rows(v) for k, v in pair_splits.items()}
    if "jsonl" in ecfg.formats:
        d = _fresh(out / "jsonl")
        formats.write_jsonl_rows(d / "quotes.jsonl", qrows)
        for k, rows in prows.items():
            formats.write_jsonl_rows(inside(d, f"pairs_{safe_name(k)}.jsonl"), rows)
        outputs.append(d)
    if "csv" in ecfg.formats:
        d = _fresh(out / "csv")
        formats.write_csv_rows(d / "quotes.csv", qrows, list(Quote.model_fields))
        for k, rows in prows.items():
            formats.write_csv_rows(inside(d, f"pairs_{safe_name(k)}.csv"), rows, list(Pair.model_fields))
        outputs.append(d)
    if "hf" in ecfg.formats:
        d = _fresh(out / "hf")
        qds, pdd = formats.hf_datasets(kept_quotes, pair_splits)
        formats.save_hf(qds, d / "quotes")
        formats.save_hf(pdd, d / "pairs")
        outputs.append(d)
        if ecfg.push_to_hub:
            pdd.push_to_hub(ecfg.push_to_hub, config_name="pairs")
            qds.push_to_hub(ecfg.push_to_hub, config_name="quotes")
            summary.append(f"pushed to the hub: {ecfg.push_to_hub} (configs pairs, quotes)")
    if "doccano" in ecfg.formats:
        d = _fresh(out / "doccano")
        n = formats.write_jsonl_rows(
            d / "quotes.jsonl", (formats.doccano_record(articles[a], by_article[a]) for a in articles)
        )
        metrics["doccano_lines"] = n
        outputs.append(d)

    manifest = {"formats": list(ecfg.formats), "counts": metrics, "pair_sources": sorted(pair_splits)}
    if selection is not None:
        manifest["selection"] = selection
    outputs.append(_write_json(out / "manifest.json", manifest))
    summary.insert(
        0,
        f"{len(kept_quotes)} quotes from {len(articles)} articles; pairs: "
        + (", ".join(f"{k} {len(v)}" for k, v in pair_splits.items()) or "none"),
    )
    summary.append(f"formats: {', '.join(ecfg.formats)} -> {out}")
    return StageResult(metrics=metrics, outputs=outputs, summary=summary)


def import_annotations(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """A Label Studio JSON export -> gold files (data/gold format), majority-labeled pairs and a summary."""
    if not cfg.file:
        raise ValueError(
            "import-annotations needs the Label Studio export: quotecontra import-annotations file=EXPORT.json"
        )
    src = Path(cfg.file)
    tasks = read_export(src)
    paths = RunPaths.of(cfg.run_dir)
    texts = {a.id: a.text for a in read_jsonl(paths.articles, Article)} if paths.articles.exists() else None
    res = parse_export(tasks, texts)
    tracker.log_input("label_studio_export", src, context="import")
    for err in res.errors:
        log.warning("import-annotations: %s", err)
    if res.errors and not res.counts["tasks_imported"]:
        shown = "\n  ".join(str(e) for e in res.errors[:10])
        raise ValueError(f"{src}: no task could be imported:\n  {shown}")

    ecfg = cfg.export
    out = Path(ecfg.import_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs = gold_files(res, ecfg.import_split)
    names, clashes = gold_file_names(docs)  # file names from ids: slugged, checked to stay inside the import dir
    for err in clashes:
        log.warning("import-annotations: %s", err)
    res.errors.extend(clashes)
    res.counts["gold_name_clashes"] = len(clashes)
    written = [_write_json(inside(out, names[aid]), doc) for aid, doc in sorted(docs.items()) if aid in names]
    pairs = pair_records(res, quote_id_map(res))
    write_jsonl(Path(ecfg.import_pairs), pairs)
    summary_doc = import_summary(res, src, written)
    summary_doc["batch"] = batch_info(res, src, str(ecfg.import_split), Path(ecfg.import_pairs), out)
    _write_json(Path(ecfg.import_summary), summary_doc)

    c = summary_doc["counts"]
    agr = res.agreement
    metrics = {k: float(v) for k, v in c.items()}
    for key, val in (
        ("fleiss_kappa", agr["pairs"]["fleiss_kappa"]),
        ("cohen_kappa_mean", agr["pairs"]["cohen_kappa_mean"]),
        ("span_f1_exact", agr["quotes"]["span_f1_exact"]),
        ("span_f1_overlap", agr["quotes"]["span_f1_overlap"]),
    ):
        if val is not None:
            metrics[key] = float(val)
    lines = [
        f"{c['tasks_imported']} of {c['tasks_total']} tasks imported, {c['tasks_failed']} failed, "
        f"{c['tasks_duplicate']} duplicates left out, {c['tasks_unannotated']} not annotated",
        f"quotes: {c['quotes']} ({c['quotes_changed']} changed, {c['quotes_added']} added, "
        f"{c['quotes_removed']} predictions removed)",
        f"pairs: {c['pairs_labeled']} labeled ({c['pairs_tied']} ties left out)",
        "agreement: "
        + (
            ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if "kappa" in k or "span_f1" in k)
            or "n/a (no pair or article annotated by two people)"
        ),
        *(f"error: {e}" for e in res.errors[:5]),
    ]
    return StageResult(
        metrics=metrics,
        outputs=[out, Path(ecfg.import_pairs), Path(ecfg.import_summary)],
        summary=lines,
    )


def read_export(src: Path) -> list[Any]:
    """One Label Studio JSON export, or a folder of them (the quotes project's and the pairs project's)."""
    if not src.exists():
        raise FileNotFoundError(f"import-annotations: {src} not found")
    files = sorted(src.glob("*.json")) if src.is_dir() else [src]
    if not files:
        raise FileNotFoundError(f"import-annotations: no .json export in {src}")
    tasks: list[Any] = []
    for f in files:
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{f}: not JSON ({exc}); export the project as 'JSON' in Label Studio") from exc
        if not isinstance(doc, list):
            raise ValueError(f"{f}: a Label Studio JSON export is a list of tasks; this file holds something else")
        tasks.extend(doc)
    return tasks


def batch_info(res: ImportResult, src: Path, split: str, pairs_file: Path, import_dir: Path) -> dict[str, Any]:
    """What the pairs stage's lineage says about this import (``pairs.annotations``): source digest, who, when."""
    from quotecontra.tracking import file_digest

    times: Sequence[str | None] = [p.updated_at for p in res.pairs] + [
        t for a in res.articles for ann in a.annotations for t in (ann.created_at, ann.updated_at)
    ]
    times = sorted(str(t) for t in times if t)
    who = {v for p in res.pairs for v in p.votes} | {ann.annotator for a in res.articles for ann in a.annotations}
    return {
        "source_digest": file_digest(src),
        "split": split,
        "annotators": sorted(who),
        "first_annotation": times[0] if times else None,
        "last_annotation": times[-1] if times else None,
        "pairs_file": str(pairs_file),
        "import_dir": str(import_dir),
    }


def import_summary(res: ImportResult, src: Path, written: list[Path]) -> dict[str, Any]:
    """Counts, agreement and errors of one import, as written to the summary JSON."""
    quotes = [iq for a in res.articles for iq in a.quotes]
    counts = {
        key: int(res.counts.get(key, 0))
        for key in (
            "tasks_total",
            "article_tasks",
            "pair_tasks",
            "tasks_imported",
            "tasks_failed",
            "tasks_duplicate",
            "tasks_unannotated",
            "annotations_total",
            "annotations_cancelled",
            "annotations_used",
        )
    }
    counts.update(
        {
            "gold_files": len(written),
            "gold_name_clashes": int(res.counts.get("gold_name_clashes", 0)),
            "quotes": len(quotes),
            "quotes_changed": sum(iq.changed for iq in quotes),
            "quotes_added": sum(iq.predicted_id is None for iq in quotes),
            "quotes_removed": sum(len(a.removed) for a in res.articles),
            "pairs_labeled": sum(p.label is not None for p in res.pairs),
            "pairs_tied": sum(p.label is None for p in res.pairs),
        }
    )
    return {
        "source": str(src),
        "counts": counts,
        "agreement": res.agreement,
        "errors": [{"task": e.task, "message": e.message} for e in res.errors],
        "gold_files": [str(p) for p in written],
    }
