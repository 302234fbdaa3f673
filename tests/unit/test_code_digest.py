"""A stage's skip signature covers its code: the modules it imports (transitively, also inside functions) and the
resource files they name, but not the runner around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from quotecontra import code_digest as cd
from quotecontra.stages import STAGES


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "quotecontra"
    (root / "sub").mkdir(parents=True)
    (root / "resources").mkdir()
    files = {
        "__init__.py": "",
        "stage.py": "from quotecontra.sub import helper\n\ndef run():\n    from quotecontra import lazy\n",
        "sub/__init__.py": "",
        "sub/helper.py": "from .words import WORDS\n",
        "sub/words.py": "WORDS = open_resource('lexicon.tsv')\n",
        "lazy.py": "import quotecontra.tracking\n",
        "tracking.py": "X = 1\n",
        "unrelated.py": "Y = 2\n",
        "resources/lexicon.tsv": "a\tb\n",
        "resources/unused.tsv": "c\td\n",
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    cd.stage_code.cache_clear()
    return root


def test_stage_code_follows_imports_and_named_resources(tree: Path) -> None:
    names = [n for n, _ in cd.stage_code("quotecontra.stage", tree)]
    assert names == [
        "quotecontra",
        "quotecontra.lazy",  # imported inside a function
        "quotecontra.stage",
        "quotecontra.sub",  # the package of a module it imports
        "quotecontra.sub.helper",
        "quotecontra.sub.words",  # a relative import
        "resources/lexicon.tsv",
    ]


@pytest.mark.parametrize(
    ("edited", "changes"),
    [("sub/words.py", True), ("lazy.py", True), ("resources/lexicon.tsv", True), ("tracking.py", False),
     ("unrelated.py", False), ("resources/unused.tsv", False)],
)  # fmt: skip
def test_digest_changes_with_the_stage_code_only(tree: Path, edited: str, changes: bool) -> None:
    before = cd.code_digest("quotecontra.stage", tree)
    with (tree / edited).open("a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    assert (cd.code_digest("quotecontra.stage", tree) != before) is changes


def test_real_stages_cover_their_modules_and_not_the_runner() -> None:
    def code(stage: str) -> set[str]:
        target = STAGES[stage].target
        assert isinstance(target, str)
        return {n for n, _ in cd.stage_code(target.split(":")[0])}

    annotate, pairs = code("annotate"), code("pairs")
    assert {"quotecontra.annotate.extract", "quotecontra.annotate.speakers", "resources/cues.txt"} <= annotate
    assert {"quotecontra.pairs.edits", "quotecontra.pairs.numbers", "resources/antonyms.tsv"} <= pairs
    assert not (annotate | pairs) & cd.RUNNER_MODULES
    assert "quotecontra.train" in code("crossval")
