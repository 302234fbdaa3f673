"""The annotator loop through a real Label Studio server.

export -> create projects from the generated labeling configs -> import the tasks -> annotate through the API
as three annotators -> export JSON -> ``quotecontra import-annotations`` -> gold files, checked at every step.

The server (its own virtual environment, a fresh data dir, a legacy API token) comes from
``label_studio_support``, which the browser test shares.
"""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.label_studio_support import (
    ADMIN,
    Api,
    create_project,
    export_project,
    import_annotations_cli,
    running_server,
    tasks_of,
    timed,
)

from quotecontra.export.agreement import fleiss_kappa
from quotecontra.export.demo import build_run_dir
from quotecontra.export.label_studio import regions_of

pytestmark = pytest.mark.slow

TIMINGS: dict[str, float] = {}


def _timed(name: str, t0: float) -> None:
    timed(TIMINGS, name, t0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    try:
        with running_server(tmp_path_factory.mktemp("ls_data"), TIMINGS) as api:
            yield api
    finally:
        print("\nlabel studio round trip timings:", json.dumps(TIMINGS))


def _choice(label: str) -> list[dict[str, Any]]:
    return [{"id": "lab", "from_name": "label", "to_name": "premise", "type": "choices", "value": {"choices": [label]}}]


def test_round_trip_through_a_real_label_studio(server: Api, tmp_path: Path, make_cfg):
    api = server
    t0 = time.perf_counter()
    run_dir = tmp_path / "run"
    articles, quotes, splits = build_run_dir(run_dir)
    from quotecontra.stages import run_stage

    run_stage("export", make_cfg(run_dir=run_dir))
    ls = run_dir / "export" / "label_studio"
    a_tasks = json.loads((ls / "quotes_tasks.json").read_text())
    p_tasks = json.loads((ls / "pairs_tasks.json").read_text())
    assert (len(a_tasks), len(p_tasks)) == (len(articles), len(splits["candidates"]))
    _timed("export_s", t0)

    # annotators: the admin and two more users of the same organisation
    t0 = time.perf_counter()
    me = api.call("GET", "/api/current-user/whoami")
    users = {me["email"]: me["id"]}
    for name in ("ann2", "ann3"):
        u = api.call("POST", "/api/users/", {"email": f"{name}@example.org", "username": name, "first_name": name})
        users[u["email"]] = u["id"]
    assert len(users) == 3

    projects = {}
    for kind, tasks in (("quotes", a_tasks), ("pairs", p_tasks)):
        config = (ls / f"{kind}_config.xml").read_text()
        projects[kind] = create_project(api, f"quotecontra {kind}", config, tasks)
    _timed("projects_and_import_s", t0)

    # annotate: the admin corrects the bridge article (retarget one quote, delete the unattributed one, add a
    # quote), accepts the clinic article; ann2 annotates the clinic article without its first quote
    t0 = time.perf_counter()
    admin, ann2, ann3 = users[ADMIN], users["ann2@example.org"], users["ann3@example.org"]
    server_tasks = {t["data"]["article_id"]: t for t in tasks_of(api, projects["quotes"])}
    bridge_q = [q for q in quotes if q.article_id == "bridge"]
    clinic_q = [q for q in quotes if q.article_id == "clinic"]
    pred = {t["data"]["article_id"]: t["predictions"][0]["result"] for t in a_tasks}
    by_article = {t["data"]["article_id"]: t for t in a_tasks}
    bridge = copy.deepcopy(pred["bridge"])
    (retarget,) = regions_of(by_article["bridge"], bridge_q[1].id)
    for r in bridge:
        if r.get("id") == retarget and r["from_name"] == "target":
            r["value"]["text"] = ["the town of Harwick"]
    gone = bridge_q[3].id
    gone_regions = set(regions_of(by_article["bridge"], gone))
    bridge = [r for r in bridge if not {r.get("id"), r.get("to_id")} & gone_regions]
    text = articles[0].text
    s = text.index("Nobody expected")
    bridge.append(
        {
            "id": "added1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": s + 24, "text": text[s : s + 24], "labels": ["Content"]},
        }
    )
    dropped = set(regions_of(by_article["clinic"], clinic_q[0].id))
    clinic_ann2 = [r for r in pred["clinic"] if not {r.get("id"), r.get("to_id")} & dropped]
    posted = [
        (server_tasks["bridge"]["id"], bridge, admin),
        (server_tasks["clinic"]["id"], pred["clinic"], admin),
        (server_tasks["clinic"]["id"], clinic_ann2, ann2),
    ]
    votes = {"cand-1": [("contradiction", admin), ("contradiction", ann2), ("neutral", ann3)]}
    votes["cand-2"] = [("neutral", admin), ("contradiction", ann2)]
    votes["cand-3"] = [("neutral", admin), ("neutral", ann2), ("neutral", ann3)]
    pair_server = {t["data"]["pair_id"]: t for t in tasks_of(api, projects["pairs"])}
    posted += [(pair_server[pid]["id"], _choice(lab), who) for pid, vs in votes.items() for lab, who in vs]
    for task_id, result, who in posted:
        got = api.call(
            "POST", f"/api/tasks/{task_id}/annotations/", {"result": result, "completed_by": who, "lead_time": 3.0}
        )
        assert got["completed_by"] == who
    _timed("annotate_s", t0)

    # export both projects as Label Studio JSON
    t0 = time.perf_counter()
    exports = tmp_path / "ls_exports"
    exports.mkdir()
    n_annotations = 0
    for kind, pid in projects.items():
        dump = export_project(api, pid)
        assert len(dump) == (len(a_tasks) if kind == "quotes" else len(p_tasks))
        n_annotations += sum(len(t["annotations"]) for t in dump)
        (exports / f"{kind}.json").write_text(json.dumps(dump))
        if kind == "quotes":  # region ids and the region map come back as written: plain ids, data untouched
            back = {t["data"]["article_id"]: t for t in dump}
            assert back["bridge"]["data"]["qc_regions"] == by_article["bridge"]["data"]["qc_regions"]
            ids = {r["id"] for t in dump for a in t["annotations"] for r in a["result"] if "id" in r}
            assert ids and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    assert n_annotations == len(posted)
    _timed("export_from_label_studio_s", t0)

    # import-annotations through the CLI
    t0 = time.perf_counter()
    gold_dir = tmp_path / "gold"
    summary = import_annotations_cli(exports, run_dir, gold_dir)
    _timed("import_annotations_s", t0)

    c = summary["counts"]
    assert summary["errors"] == []
    assert c["tasks_total"] == c["tasks_imported"] == len(a_tasks) + len(p_tasks)
    assert c["annotations_total"] == len(posted) and c["annotations_used"] == 2 + 8
    assert c["gold_files"] == 2 and c["quotes_removed"] == 2 and c["quotes_added"] == 1
    assert c["pairs_labeled"] == 2 and c["pairs_tied"] == 1
    want = fleiss_kappa([[lab for lab, _ in vs] for vs in votes.values()])
    assert summary["agreement"]["pairs"]["fleiss_kappa"] == pytest.approx(want)
    assert summary["agreement"]["quotes"]["span_f1_exact"] == pytest.approx(2 / 3)

    gold = {p.stem: json.loads(p.read_text()) for p in gold_dir.glob("*.json")}
    g = gold["bridge"]
    assert g["annotators"] == [str(admin)]  # Label Studio's JSON export names annotators by user id
    assert all(q["annotator"] == str(admin) and q["updated_at"] for q in g["quotes"])
    by_text = {q["text"]: q for q in g["quotes"]}
    assert by_text[bridge_q[1].text]["target"] == ["the town of Harwick"] and by_text[bridge_q[1].text]["changed"]
    assert bridge_q[3].text not in by_text and g["removed_predictions"] == [gone]
    assert by_text["Nobody expected the vote"]["speaker"] is None
    assert not by_text[bridge_q[2].text]["changed"] and by_text[bridge_q[2].text]["pieces"]
    (pair,) = g["pairs"]
    assert (pair["pair_id"], pair["label"]) == ("cand-1", "contradiction")
    assert pair["votes"] == {str(admin): "contradiction", str(ann2): "contradiction", str(ann3): "neutral"}
    assert gold["clinic"]["agreement"]["span_f1_exact"] == pytest.approx(2 / 3)
    assert gold["clinic"]["disputed_pairs"][0]["pair_id"] == "cand-2"


def test_selected_tasks_come_back_as_natural_pairs(server: Api, tmp_path: Path, make_cfg):
    """export.select=uncertainty (a tiny TF-IDF model) -> the pre-annotated tasks through the server -> import ->
    the pairs stage puts the annotators' labels into the natural pool, naming the batch."""
    import pandas as pd

    from quotecontra.models import fit_sklearn
    from quotecontra.records import LABELS
    from quotecontra.stages import run_stage

    api = server
    t0 = time.perf_counter()
    run_dir = tmp_path / "run"
    _, _, splits = build_run_dir(run_dir)
    prem = ["The plan will be ready", "The clinic will close", "Nobody expected this"] * 6
    hyp = ["The plan is late", "The clinic stays open", "It was expected"] * 6
    model = fit_sklearn({"kind": "tfidf", "tfidf_max_features": 200, "tfidf_c": 1.0}, prem, hyp, LABELS * 6, 13)
    model.save(run_dir / "model")
    export_cfg = ("export.select=uncertainty", "export.max_pair_tasks=2", "export.formats=[label_studio]")
    run_stage("export", make_cfg(*export_cfg, run_dir=run_dir))
    ls = run_dir / "export" / "label_studio"
    p_tasks = json.loads((ls / "pairs_tasks.json").read_text())
    selection = json.loads((run_dir / "export" / "manifest.json").read_text())["selection"]
    assert len(p_tasks) == 2 and selection["pool"] == len(splits["candidates"])

    proj = api.call(
        "POST", "/api/projects/", {"title": "selected pairs", "label_config": (ls / "pairs_config.xml").read_text()}
    )
    imported = api.call("POST", f"/api/projects/{proj['id']}/import", p_tasks, timeout=120)
    assert imported["task_count"] == imported["prediction_count"] == 2  # each task pre-annotated by the model
    me = api.call("GET", "/api/current-user/whoami")
    labels = {}
    for task, label in zip(tasks_of(api, proj["id"]), ("contradiction", "neutral"), strict=True):
        labels[task["data"]["pair_id"]] = label
        api.call("POST", f"/api/tasks/{task['id']}/annotations/", {"result": _choice(label), "completed_by": me["id"]})
    dump = export_project(api, proj["id"])
    assert {t["data"]["qc_selection"]["strategy"] for t in dump} == {"uncertainty"}  # task data comes back as sent
    exports = tmp_path / "pairs_export.json"
    exports.write_text(json.dumps(dump))
    run_stage("import-annotations", make_cfg(f"file={exports}", run_dir=run_dir))

    pairs_cfg = make_cfg(
        f"pairs.annotations=[{run_dir / 'imported_pairs.jsonl'}]",
        "pairs.gold_dirs=[]",
        "pairs.encoder=tfidf",
        "allow_empty=true",
        run_dir=run_dir,
    )
    metrics = run_stage("pairs", pairs_cfg)
    assert metrics["annotations/pairs"] == 2
    natural = {r["id"]: r for r in pd.read_parquet(run_dir / "pairs" / "natural.parquet").to_dict("records")}
    batch = json.loads((run_dir / "pairs" / "annotations.json").read_text())["batches"][0]
    assert batch["annotators"] == [str(me["id"])] and batch["last_annotation"]
    for pid, label in labels.items():
        assert natural[pid]["label"] == label and natural[pid]["annotator"] == f"{batch['batch']}:{me['id']}"
    assert batch["batch"] in (run_dir / "pairs" / "README.md").read_text()
    _timed("selected_loop_s", t0)
