"""docs/architecture.md names every stage and the module that runs it, so the map cannot silently go stale."""

from pathlib import Path

from quotecontra.stages import STAGES

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_every_stage_is_in_the_architecture_map_with_its_module():
    rows = {line.split("|")[1].strip().split()[0].strip("`"): line for line in DOC.read_text().splitlines()
            if line.startswith("| `")}  # fmt: skip
    assert set(STAGES) <= set(rows), sorted(set(STAGES) - set(rows))
    for name, spec in STAGES.items():
        module = spec.target.split(":")[0].removeprefix("quotecontra.")
        top = module.split(".")[0]
        module_column = rows[name].split("|")[2]
        assert f"`{top}" in module_column, f"{name}: the doc's module column does not name {module}"
