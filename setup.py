"""Build step only (metadata is in pyproject.toml): ship the top-level configs and sample data inside the wheel.

The checkout keeps ``conf/`` and ``data/`` at the top level, where the README, Hydra and the tests expect them; the
wheel needs them inside the package, since an installed CLI has no checkout to look in. The copies land in
``quotecontra/conf`` and ``quotecontra/data/...`` (see quotecontra.bundled, which finds either place). An editable
install reads the checkout directly, so the copy is skipped there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Mirrors quotecontra.bundled.SHIPPED (setup.py cannot import the package it builds).
SHIPPED = {"conf": "conf", "data/samples": "data/samples", "data/gold": "data/gold"}


class BuildPyWithData(build_py):
    """build_py plus the shipped folders copied into build_lib/quotecontra/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for src, dst in SHIPPED.items():
            source = ROOT / src
            if not source.is_dir():
                raise FileNotFoundError(f"{source}: shipped folder missing from the source tree (see MANIFEST.in)")
            target = Path(self.build_lib, "quotecontra", dst)
            shutil.rmtree(target, ignore_errors=True)  # a reused build/ must not keep files deleted from the source
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithData})
