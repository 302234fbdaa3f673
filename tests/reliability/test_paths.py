"""Ids that try to leave the run dir: ../, absolute paths, NUL, very long names, Windows device names.

Each is fed in through a jsonl input and through a crafted Label Studio export; after annotate's cache, export and
import-annotations, the whole tmp tree is scanned: nothing may exist outside the run dir but the two input files,
and every refused task is reported with its id.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest

from quotecontra.annotate import QuoteCache
from quotecontra.export.demo import build_run_dir, fixture_records
from quotecontra.readers import ReaderOptions, ReadReport, iter_articles
from quotecontra.records import Article, Quote, quote_id, read_jsonl, write_jsonl
from quotecontra.runpaths import RunPaths
from quotecontra.safepath import MAX_NAME, inside, safe_name
from quotecontra.stages import run_stage

SAFE = re.compile(r"[A-Za-z0-9._-]{1,120}")
DEVICES = {"CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT9"}
TEXT = "The council said the bridge would close in March for repairs that could last a year."


def tricky_ids(root: Path) -> list[str]:
    """Ids that would climb out of (or jump past) a folder under ``root``; all aim inside pytest's tmp tree, so
    even a regression never writes elsewhere on the machine."""
    return [
        "../../escape",
        "../../../escape-far",
        "sub/../../../escape-mixed",
        str(root / "abs-escape"),
        str(root.parent / "abs-above"),
        "C:\\Windows\\evil",
        "CON",
        "nul.txt",
        "com1",
        "LPT9.json",
        "..",
        ".",
        ".hidden",
        "x" * 200,
    ]


REFUSED = ["a\0b", "é" * 130]  # a NUL byte; 260 UTF-8 bytes: no file system takes either as a name


# ---------------------------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize("name", ["bridge", "pol-01-assembly-budget-vote", "a.b_c-1", "x" * MAX_NAME])
def test_safe_ids_keep_their_names(name):
    assert safe_name(name) == name


def test_unsafe_ids_become_distinct_readable_names(tmp_path):
    ids = [*tricky_ids(tmp_path), "", "x" * 201, "Bridge!", "Bridge?", "../../escape/"]
    names = [safe_name(i) for i in ids]
    assert all(SAFE.fullmatch(n) for n in names), names
    assert all(n not in {".", ".."} and not n.startswith(".") for n in names)
    assert all(n.split(".")[0].upper() not in DEVICES for n in names)
    assert len(set(names)) == len(ids)  # the hash keeps ids that slug alike apart
    assert safe_name("../../escape").startswith("escape-")  # readable: the slug survives
    assert [safe_name(i) for i in ids] == names  # stable across calls
    with pytest.raises(ValueError, match="NUL"):
        safe_name("a\0b")
    with pytest.raises(TypeError):
        safe_name(3)  # type: ignore[arg-type]


def test_inside_refuses_what_leaves_the_folder(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    assert inside(root, "ab/c.json") == (root / "ab" / "c.json").resolve()
    for bad in ("../x", "/etc/passwd", "a/../../x", ".", ""):
        with pytest.raises(ValueError, match="outside"):
            inside(root, bad)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "link")
    with pytest.raises(ValueError, match="outside"):
        inside(root, "link/x.json")
    with pytest.raises(ValueError, match="NUL"):
        inside(root, "a\0b")


# ---------------------------------------------------------------------------------------------- end to end


def _crafted_records(ids: list[str]) -> tuple[list[Article], list[Quote]]:
    arts = [Article(id=i, text=TEXT, source="crafted") for i in ids]
    span = (TEXT.index("the bridge"), TEXT.index(" for repairs"))
    qs = [
        Quote(
            id=quote_id(a.id, [span]),
            article_id=a.id,
            text=TEXT[span[0] : span[1]],
            type="indirect",
            speaker="The council",
            cue="said",
            spans=[span],
            speaker_span=(0, 11),
            cue_span=(12, 16),
        )
        for a in arts
    ]
    return arts, qs


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_no_file_lands_outside_the_run_dir(tmp_path, make_cfg):
    work = tmp_path / "work"  # everything this test makes is under work; run dir and the two inputs
    run_dir = work / "run"
    ids = tricky_ids(work)

    # 1. jsonl input: the reader keeps the ids as they are; annotate's cache files stay in the cache
    src = work / "input.jsonl"
    src.parent.mkdir(parents=True)
    src.write_text("".join(json.dumps({"id": i, "text": TEXT}) + "\n" for i in [*ids, *REFUSED]))
    opts = ReaderOptions(format="jsonl", max_bytes=10**6, min_words=1, require_english=False, boilerplate=())
    read = list(iter_articles(src, opts, ReadReport()))
    assert [a.id for a in read] == [*ids, *REFUSED]
    cache = QuoteCache(RunPaths.of(run_dir).annotate_cache, "digest")
    for a in read:
        cache.put(a, [])
        assert cache.get(a) == []

    # 2. a run dir holding those articles beside the demo ones; export refuses the ids no file can carry
    build_run_dir(run_dir)
    demo_articles, demo_quotes, _ = fixture_records()
    arts, qs = _crafted_records([*ids, *REFUSED])
    paths = RunPaths.of(run_dir)
    write_jsonl(paths.articles, [*demo_articles, *arts])
    write_jsonl(paths.quotes, [*demo_quotes, *qs])
    metrics = run_stage("export", make_cfg("export.formats=[label_studio,jsonl,csv]", run_dir=run_dir))
    assert metrics["ls_articles_skipped"] == len(REFUSED)
    tasks = json.loads((run_dir / "export" / "label_studio" / "quotes_tasks.json").read_text())
    assert sorted(t["data"]["article_id"] for t in tasks) == sorted([*(a.id for a in demo_articles), *ids])

    # 3. the Label Studio export: every exported task accepted as is, plus crafted ones that rename the article
    export = []
    for n, t in enumerate(tasks, 1):
        result = copy.deepcopy(t["predictions"][0]["result"])
        export.append({"id": n, "data": t["data"], "annotations": [{"id": n, "completed_by": 1, "result": result}]})
    template = next(t for t in export if t["data"]["article_id"] == ids[0])
    crafted = {
        901: str(tmp_path / "outside-abs"),  # absolute, outside the whole work tree
        902: "../../../climb",  # from run/imported_gold up past the work tree
        903: "a\0b",
        904: "é" * 130,
        905: 12345,
    }
    for tid, aid in crafted.items():
        task = copy.deepcopy(template)
        task["id"] = tid
        task["data"].update(article_id=aid, qc_predicted=[], qc_regions={})  # regions become annotator-drawn
        export.append(task)
    ls_file = work / "ls_export.json"
    ls_file.write_text(json.dumps(export))
    run_stage("import-annotations", make_cfg(f"file={ls_file}", run_dir=run_dir))

    summary = json.loads((run_dir / "import_summary.json").read_text())
    errors = {e["task"]: e["message"] for e in summary["errors"]}
    assert set(errors) == {"903", "904", "905"}, errors
    assert "NUL" in errors["903"] and "bytes long" in errors["904"] and "non-empty string" in errors["905"]
    c = summary["counts"]
    assert c["tasks_failed"] == 3 and c["tasks_imported"] == len(export) - 3
    gold = sorted((run_dir / "imported_gold").iterdir())
    assert len(gold) == c["gold_files"] == len(demo_articles) + len(ids) + 2
    stems = [p.name.removesuffix(".json") for p in gold]
    assert all(SAFE.fullmatch(s) and s.split(".")[0].upper() not in DEVICES for s in stems), stems
    by_id = {json.loads(p.read_text())["article_id"]: p for p in gold}
    assert set(by_id) == {*(a.id for a in demo_articles), *ids, crafted[901], crafted[902]}
    assert by_id["bridge"].name == "bridge.json"  # ordinary ids keep their ordinary names

    # 4. the scan: outside the run dir only the inputs exist, and nothing was written above the work tree
    outside = {p for p in _files(tmp_path) if not p.resolve().is_relative_to(run_dir.resolve())}
    assert outside == {src, ls_file}, sorted(map(str, outside - {src, ls_file}))
    for escaped in ("climb.json", "abs-above.json", "outside-abs.json", "outside-abs", "escape-far.json"):
        assert not (tmp_path / escaped).exists()


def test_jsonl_records_of_tricky_ids_read_back(tmp_path):
    """The ids travel through the records untouched: only file names are slugged, never the data."""
    ids = tricky_ids(tmp_path)
    arts, _ = _crafted_records(ids)
    write_jsonl(tmp_path / "a.jsonl", arts)
    assert [a.id for a in read_jsonl(tmp_path / "a.jsonl", Article)] == ids


def test_ids_that_differ_only_in_case_do_not_share_a_gold_file():
    """Bridge.json and bridge.json are one file on Windows and macOS: the second is refused, named by its task."""
    from quotecontra.export.label_studio import gold_file_names

    docs = {"bridge": {"label_studio_task": "1"}, "Bridge": {"label_studio_task": "2"}, "clinic": {}}
    names, errors = gold_file_names(docs)
    assert names == {"Bridge": "Bridge.json", "clinic": "clinic.json"}
    assert [e.task for e in errors] == ["1"] and "Bridge.json" in errors[0].message
