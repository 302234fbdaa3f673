"""What an annotator sees: our Label Studio projects in a real browser (headless Chromium).

Export (the demo run dir) -> a quote project and a pair project from our labeling configs and tasks -> log into
the UI -> open an article task: the pre-annotated Content, Speaker and Cue regions are drawn in the colours our
config gives them, the relations are there, no error box -> select a Content region: its per-region fields
show beside the text -> change its target and type -> Submit -> open a pair task, choose a label, Submit ->
export through the API -> ``quotecontra import-annotations`` -> the edit is in the gold file and the label in
the imported pairs.

Needs Debian's chromium and chromium-driver (installed with apt-get when missing and we are root; skipped
otherwise) and the Label Studio server of ``label_studio_support``. The browser is driven over the W3C WebDriver
protocol (``webdriver_client``), so no browser library enters the project's environment. Screenshots go to
QUOTECONTRA_TEST_ARTIFACTS (default runs/test-artifacts/label_studio/); QUOTECONTRA_BROWSER_WAIT_S (default 240)
is how long a page may take to render on a loaded machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.integration.label_studio_support import (
    ADMIN,
    NICE,
    PASSWORD,
    Api,
    create_project,
    export_project,
    import_annotations_cli,
    running_server,
    tasks_of,
)
from tests.integration.webdriver_client import Browser, WebDriverError, chromium_paths, headless_chromium

from quotecontra.export.demo import build_run_dir
from quotecontra.export.label_studio import regions_of

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("QUOTECONTRA_TEST_ARTIFACTS") or ROOT / "runs" / "test-artifacts" / "label_studio")
WAIT = float(os.environ.get("QUOTECONTRA_BROWSER_WAIT_S", "240"))
NEW_TARGET = "the town of Harwick"
NEW_TYPE = "mixed"
PAIR_ID, PAIR_LABEL = "cand-2", "contradiction"
# What Label Studio shows when a task does not load (e.g. region ids it cannot resolve).
PAGE_ERRORS = re.compile(r"Failed to resolve reference|mobx-state-tree|Something went wrong|Error:", re.I)
# Console errors that mean the task data did not load (region ids Label Studio cannot resolve, a bad store
# snapshot). Other script errors are recorded and printed, not failed on: Label Studio 1.23's data manager loads a
# task twice when it is opened by URL, and reactions of the first load then read regions the second load replaced
# ("... no longer part of a state tree ... Path upon death: .../areas/<id>"), or removeSpans finds null; the task
# is drawn correctly all the same, which the checks below assert.
CONSOLE_ERRORS = re.compile(r"Failed to resolve reference|mobx-state-tree\](?!.*no longer part of a state tree)", re.S)
SCRIPT_NOISE: list[str] = []


def ensure_chromium() -> None:
    """Debian's chromium and chromium-driver, installed with apt-get when missing; skip when that cannot be done."""
    if chromium_paths():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("needs Debian's chromium and chromium-driver: not installed, and no root or no apt-get to install")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]):
        done = subprocess.run([*NICE, *cmd], capture_output=True, text=True, env=env, timeout=1800)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium: `{' '.join(cmd)}` exited {done.returncode}: {done.stderr[-600:]}")
    if not chromium_paths():
        pytest.skip("apt-get installed chromium and chromium-driver but chromium or chromedriver is not on PATH")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ensure_chromium()  # before the server: a skip costs nothing then
    with running_server(tmp_path_factory.mktemp("ls_data")) as api:
        yield api


# --------------------------------------------------------------------------------------------- page probes

REGIONS_JS = """
return [...document.querySelectorAll('span.htx-highlight')].map(e => ({
  label: (e.dataset.label || '').replace(/^[0-9]+:/, ''),
  start: Number(e.dataset.start), end: Number(e.dataset.end),
  colour: getComputedStyle(e).backgroundColor,
}))"""
# Relations as Label Studio's store holds them (region ids lose the '#<annotation>' suffix it adds), and as drawn;
# ``clipped``: relation labels that stick out of the pane the overlay is drawn in, so part of them is cut off.
RELATIONS_JS = """
const a = window.Htx && window.Htx.annotationStore && window.Htx.annotationStore.selected;
if (!a) return null;
const drawn = [...document.querySelectorAll('svg.relations-overlay g[class*=relationItem]')];
let pane = document.querySelector('svg.relations-overlay');
while (pane && pane !== document.body && getComputedStyle(pane).overflowX === 'visible') pane = pane.parentElement;
const p = (pane || document.body).getBoundingClientRect();
return {
  store: a.relationStore.relations.map(r => [r.node1.cleanId, r.node2.cleanId, [...(r.labels || [])]]),
  drawn: drawn.filter(g => g.getAttribute('visibility') !== 'hidden').length,
  drawn_labels: drawn.map(g => [...g.querySelectorAll('text')].map(t => t.textContent).join('')),
  clipped: drawn.flatMap(g => [...g.querySelectorAll('text')]).filter(t => {
    const r = t.getBoundingClientRect();
    return r.left < p.left || r.right > p.right;
  }).map(t => t.textContent),
}"""
ERRORS_JS = """
const boxes = [...document.querySelectorAll('.lsf-errors, [class*=error--], .ant-alert-error, [role=alert]')];
return [...boxes.map(e => e.innerText), document.body.innerText]"""
BOX_JS = """
const r = arguments[0].getBoundingClientRect();
return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, shown: arguments[0].offsetParent !== null,
        vw: innerWidth, vh: innerHeight}"""


def rgb(colour: str) -> tuple[tuple[int, int, int], float]:
    """A computed CSS colour (rgb(...) or rgba(...)) as its RGB and alpha."""
    m = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", colour.strip())
    assert m, f"not a computed colour: {colour!r}"
    return (int(m[1]), int(m[2]), int(m[3])), float(m[4] or 1)


def hex_rgb(value: str) -> tuple[int, int, int]:
    v = value.lstrip("#")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def colour_problems(rendered: list[dict[str, Any]], config: dict[str, str]) -> list[str]:
    """What is wrong with the highlight colours: a label without a colour of its own, one that is not the config's
    background, two labels drawn alike, or an invisible highlight. Empty when every label is drawn as configured."""
    problems = []
    seen: dict[str, set[tuple[int, int, int]]] = {}
    for r in rendered:
        colour, alpha = rgb(r["colour"])
        if alpha == 0:
            problems.append(f"{r['label']} region [{r['start']}, {r['end']}) is not highlighted ({r['colour']})")
        seen.setdefault(r["label"], set()).add(colour)
    for label, background in config.items():
        colours = seen.get(label, set())
        if colours != {hex_rgb(background)}:
            problems.append(f"{label} regions are drawn in {sorted(colours)}, the config says {background}")
    drawn = [next(iter(c)) for c in seen.values() if len(c) == 1]
    if len(set(drawn)) != len(drawn):
        problems.append(f"labels share a colour: {seen}")
    return problems


def page_errors(b: Browser) -> list[str]:
    """Error boxes and error text on the page, and script errors in the console."""
    *boxes, body = b.js(ERRORS_JS)
    found = [f"error box: {t[:300]}" for t in boxes if t.strip()]
    found += [f"page text: {m}" for m in PAGE_ERRORS.findall(body)]
    for e in console(b):
        if CONSOLE_ERRORS.search(e["message"]):
            found.append(f"console: {e['message'][:1500]}")
        elif e.get("level") == "SEVERE" and e.get("source") in {"javascript", "console-api"}:
            SCRIPT_NOISE.append(e["message"][:1500])
    return found


def console(b: Browser) -> list[dict[str, Any]]:
    """The browser console since the last call (chromedriver's log endpoint; empty where it has none)."""
    try:
        return b._call("POST", "/se/log", {"type": "browser"})
    except WebDriverError:
        return []


def box(b: Browser, element: str) -> dict[str, Any]:
    return b.js(BOX_JS, Browser.el(element))


def shown(b: Browser, css: str) -> str | None:
    """The first element matching css that is displayed (Label Studio hides unselected fields with display: none)."""
    for e in b.find_all(css):
        if box(b, e)["shown"]:
            return e
    return None


def click(b: Browser, element: str) -> None:
    """A click; when something drawn over the element takes it (a relation label), the element's own click event."""
    try:
        b.click(element)
    except WebDriverError as exc:
        if "intercepted" not in str(exc):
            raise
        b.js("arguments[0].click()", Browser.el(element))


class Shots:
    def __init__(self, folder: Path) -> None:
        self.folder, self.paths = folder, []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def take(self, b: Browser, name: str) -> Path:
        path = b.screenshot(self.folder / f"{len(self.paths) + 1:02d}_{name}.png")
        self.paths.append(path)
        print(f"screenshot: {path}")
        return path


# --------------------------------------------------------------------------------------------------- steps


def login(b: Browser, base: str) -> None:
    b.get(base + "/user/login/")
    b.type(b.find("input[name=email]", WAIT), ADMIN)
    b.type(b.find("input[name=password]"), PASSWORD)
    b.click(b.find("button[type=submit], input[type=submit]"))
    b.wait(lambda: "/user/login" not in b.url, WAIT, "the login to leave the login page")


def open_task(b: Browser, base: str, project: int, task: int, ready: Any, what: str) -> Any:
    b.get(f"{base}/projects/{project}/data?task={task}")
    return b.wait(ready, WAIT, what, every=1)


def submit(b: Browser, api: Api, task: int) -> list[dict[str, Any]]:
    """Press Submit; the annotation is on the server once the API lists it."""
    b.click(b.find("[data-testid=bottombar-submit-button]"))
    return b.wait(lambda: api.call("GET", f"/api/tasks/{task}/annotations/"), WAIT, f"task {task}'s annotation")


def no_errors(b: Browser) -> None:
    errors = page_errors(b)
    assert not errors, "\n".join(errors)


def check_quote_task(
    b: Browser, where: tuple[str, int, int], task: dict[str, Any], config: dict[str, str], shots: Shots
):
    """The prediction is drawn: every region, in its colour, with its relations, and no error."""
    result = task["predictions"][0]["result"]
    want = {(r["value"]["labels"][0], r["value"]["start"], r["value"]["end"]) for r in result if r["type"] == "labels"}
    rendered = open_task(
        b,
        *where,
        lambda: (
            (got := b.js(REGIONS_JS)) and len({(r["label"], r["start"], r["end"]) for r in got}) >= len(want) and got
        ),
        f"the {len(want)} pre-annotated regions to be drawn",
    )
    time.sleep(2)  # let the relation arrows settle before the screenshot
    shots.take(b, "quote_task_loaded")
    no_errors(b)
    assert {(r["label"], r["start"], r["end"]) for r in rendered} == want
    problems = colour_problems(rendered, config)
    assert not problems, problems

    relations = b.js(RELATIONS_JS)
    assert relations is not None, "Label Studio's annotation store (window.Htx) is not there: has its UI changed?"
    wanted = sorted([r["from_id"], r["to_id"], r["labels"]] for r in result if r["type"] == "relation")
    assert sorted(relations["store"]) == wanted
    assert relations["drawn"] == len(wanted)
    assert Counter(relations["drawn_labels"]) == Counter(label for _, _, (label,) in wanted)
    assert relations["clipped"] == [], f"relation labels cut off at the edge of the text pane: {relations['clipped']}"


def edit_content_region(b: Browser, task: dict[str, Any], quote: Any, shots: Shots) -> None:
    """Select the quote's first Content region: its fields show beside the text with the predicted values; change
    the target and the type."""
    (first, *_) = regions_of(task, quote.id)
    s, e = quote.spans[0]
    click(b, b.find(f'span.htx-highlight[data-start="{s}"][data-end="{e}"]'))
    mixed = b.wait(lambda: shown(b, f"label:has(input[name={NEW_TYPE}])"), WAIT, "the Content region's fields")
    time.sleep(1)
    shots.take(b, "content_region_selected")
    assert b.wait(lambda: shown(b, "input[name=speaker_name]") is None, 10, "the Speaker fields to stay hidden")
    checked = b.js(
        "return [...document.querySelectorAll('input.ant-radio-input')].filter(i => i.checked).map(i => i.name)"
    )
    assert checked == [quote.type]
    target = shown(b, "[data-testid=htx-textbox-content]")
    assert target and b.text(target) == quote.target
    optional = shown(b, "label:has(input[name=optional])")
    assert optional, "the optional checkbox is not shown"
    text = box(b, b.find(".lsf-richtext"))
    for field in (mixed, target, optional):  # in a column right of the text, on screen without scrolling
        f = box(b, field)
        assert f["left"] >= text["right"] - 1 and f["bottom"] <= f["vh"], (f, text)
    assert box(b, mixed)["top"] < text["bottom"], "the fields start below the text, not beside it"
    info = b.js("return [...document.querySelectorAll('[class*=detailed-region] span')].map(s => s.textContent)")
    assert first in info, f"the Info panel does not show region {first}: {info}"

    b.click(b.find("[data-testid=htx-textbox-edit-button]"))
    field = b.find("[data-testid=htx-textbox-input]")
    b.clear(field)
    b.type(field, NEW_TARGET)
    b.click(b.find("[data-testid=htx-textbox-save]"))
    b.wait(
        lambda: (t := shown(b, "[data-testid=htx-textbox-content]")) and b.text(t) == NEW_TARGET, 60, "the new target"
    )
    click(b, mixed)
    b.wait(lambda: b.js(f"return document.querySelector('input[name={NEW_TYPE}]').checked"), 30, "the new type")
    shots.take(b, "content_region_edited")


# ---------------------------------------------------------------------------------------------------- test


def test_an_annotator_corrects_a_quote_and_labels_a_pair_in_the_browser(server: Api, tmp_path: Path, make_cfg):
    from quotecontra.stages import run_stage

    api = server
    t_start = time.perf_counter()
    run_dir = tmp_path / "run"
    articles, quotes, _ = build_run_dir(run_dir)
    run_stage("export", make_cfg("export.formats=[label_studio]", run_dir=run_dir))
    ls = run_dir / "export" / "label_studio"
    a_tasks = json.loads((ls / "quotes_tasks.json").read_text())
    assert len(a_tasks) == len(articles)
    p_tasks = json.loads((ls / "pairs_tasks.json").read_text())
    quotes_config = (ls / "quotes_config.xml").read_text()
    config = {el.get("value"): el.get("background") for el in ET.fromstring(quotes_config).iter("Label")}
    assert set(config) == {"Content", "Speaker", "Cue"} and all(config.values()), config
    projects = {
        "quotes": create_project(api, "quotecontra quotes (browser)", quotes_config, a_tasks),
        "pairs": create_project(api, "quotecontra pairs (browser)", (ls / "pairs_config.xml").read_text(), p_tasks),
    }
    quote_ids = {t["data"]["article_id"]: t["id"] for t in tasks_of(api, projects["quotes"])}
    pair_ids = {t["data"]["pair_id"]: t["id"] for t in tasks_of(api, projects["pairs"])}
    bridge = next(t for t in a_tasks if t["data"]["article_id"] == "bridge")
    edited = next(q for q in quotes if q.article_id == "bridge" and q.target == "Harwick")
    assert (edited.type, edited.target) != (NEW_TYPE, NEW_TARGET)
    pair = next(t for t in p_tasks if t["data"]["pair_id"] == PAIR_ID)
    assert not pair["predictions"]  # the label must come from the browser

    shots = Shots(ARTIFACTS)
    t_browser = time.perf_counter()
    with headless_chromium(tmp_path / "chromedriver.log") as b:
        try:
            login(b, api.base)
            check_quote_task(b, (api.base, projects["quotes"], quote_ids["bridge"]), bridge, config, shots)
            edit_content_region(b, bridge, edited, shots)
            (ann,) = submit(b, api, quote_ids["bridge"])
            assert ann["completed_by"] == api.call("GET", "/api/current-user/whoami")["id"]
            b.wait(lambda: len(b.js(REGIONS_JS)) >= len(bridge["data"]["qc_regions"]), WAIT, "the submitted task")
            shots.take(b, "quote_task_submitted")
            no_errors(b)

            label = f"label:has(input[name={PAIR_LABEL}])"
            choice = open_task(
                b, api.base, projects["pairs"], pair_ids[PAIR_ID], lambda: shown(b, label), "the pair task"
            )
            body = b.js("return document.body.innerText")
            assert pair["data"]["premise"].strip() in body and pair["data"]["hypothesis"].strip() in body
            no_errors(b)
            click(b, choice)
            b.wait(lambda: b.js(f"return document.querySelector('input[name={PAIR_LABEL}]').checked"), 30, "the choice")
            shots.take(b, "pair_task_labelled")
            (pann,) = submit(b, api, pair_ids[PAIR_ID])
            assert [r["value"]["choices"] for r in pann["result"] if r["from_name"] == "label"] == [[PAIR_LABEL]]
            shots.take(b, "pair_task_submitted")
        except BaseException:
            shots.take(b, "failure")
            (ARTIFACTS / "failure.html").write_text(b.js("return document.documentElement.outerHTML"))
            print("browser console:", json.dumps(console(b))[:4000])
            raise
    browser_s = time.perf_counter() - t_browser

    exports = tmp_path / "exports"
    exports.mkdir()
    for kind, pid in projects.items():
        (exports / f"{kind}.json").write_text(json.dumps(export_project(api, pid)))
    gold_dir = tmp_path / "gold"
    summary = import_annotations_cli(exports, run_dir, gold_dir)
    assert summary["errors"] == []
    # Only a submitted task becomes gold: the other article was never opened, so its predictions stay predictions.
    assert summary["counts"]["gold_files"] == 1 and summary["counts"]["pairs_labeled"] == 1

    (gold_file,) = [p for p in gold_dir.glob("*.json") if json.loads(p.read_text())["article_id"] == "bridge"]
    gold = {q["text"]: q for q in json.loads(gold_file.read_text())["quotes"]}
    assert set(gold) == {q.text for q in quotes if q.article_id == "bridge"}
    got = gold[edited.text]
    assert (got["target"], got["type"], got["changed"]) == ([NEW_TARGET], NEW_TYPE, True)
    assert [t for t, q in gold.items() if q["changed"]] == [edited.text]  # nothing else moved in the browser
    imported = [json.loads(line) for line in (run_dir / "imported_pairs.jsonl").read_text().splitlines()]
    assert [(p["id"], p["label"]) for p in imported] == [(PAIR_ID, PAIR_LABEL)]
    if SCRIPT_NOISE:
        print("\nscript errors in the browser console (not failed on):", *SCRIPT_NOISE, sep="\n  ")
    print(
        f"\nbrowser steps {browser_s:.0f}s, whole test {time.perf_counter() - t_start:.0f}s;"
        f" screenshots in {ARTIFACTS}: {[p.name for p in shots.paths]}"
    )
