"""Every test file sits in one tier folder, so `make test`'s tiers (and their markers) say what runs where."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
TIERS = {"unit", "data", "model", "reliability", "e2e", "integration"}


def test_every_test_file_is_in_a_tier_folder() -> None:
    files = sorted(TESTS.rglob("test_*.py"))
    assert len(files) > 50
    outside = [str(f.relative_to(TESTS)) for f in files if f.relative_to(TESTS).parts[0] not in TIERS]
    assert not outside, f"test files outside the tiers {sorted(TIERS)}: {outside}"


def test_server_and_cluster_tests_are_marked_out_of_the_fast_tier() -> None:
    """Ray and server tests carry the integration (or slow) marker: make test never starts a server."""
    for f in (TESTS / "integration").glob("test_*.py"):
        text = f.read_text(encoding="utf-8")
        starts_server = any(s in text for s in ('"server"', 'importorskip("ray")', "label_studio_support"))
        if starts_server:
            assert "pytest.mark.integration" in text or "pytest.mark.slow" in text, f"{f.name} starts a server unmarked"
