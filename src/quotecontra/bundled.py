"""Where the files shipped with quotecontra lie: the Hydra configs and the sample corpus with its gold files.

The checkout keeps one copy of each at the top level (``conf/``, ``data/samples``, ``data/gold``); the wheel carries
them inside the package (``quotecontra/conf``, ``quotecontra/data/...``, copied there by setup.py's build step). An
editable install reads the checkout's copy, an installed wheel its own, and nothing else needs to know which.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parents[1]
# Folder in the checkout -> folder inside the installed package (setup.py copies them in this order).
SHIPPED: dict[str, str] = {"conf": "conf", "data/samples": "data/samples", "data/gold": "data/gold"}
RESOLVER = "bundled"


def shipped_path(rel: str) -> Path | None:
    """The shipped copy of ``rel`` (a key of :data:`SHIPPED`): inside the installed package, else in the checkout."""
    if rel not in SHIPPED:
        raise KeyError(f"{rel!r} is not shipped with quotecontra; shipped folders: {', '.join(SHIPPED)}")
    for candidate in (PACKAGE_DIR / SHIPPED[rel], CHECKOUT_DIR / rel):
        if candidate.is_dir():
            return candidate
    return None


def conf_dir() -> Path:
    """The primary config folder (Hydra's ``main`` search path); a user's ``--config-dir`` is layered on top."""
    found = shipped_path("conf")
    if found is None:
        raise SystemExit(
            f"quotecontra: no config folder: neither {PACKAGE_DIR / 'conf'} (installed wheel) nor "
            f"{CHECKOUT_DIR / 'conf'} (checkout) exists; reinstall the package (`make install` or `pip install .`)"
        )
    return found


def bundled(rel: str) -> str:
    """``${bundled:data/samples}``: ``rel`` as given when it exists from the working folder, else the shipped copy.

    A run from the checkout keeps its relative paths (and so its stage signatures); a run from any other folder
    finds the corpus shipped with the package. When neither exists ``rel`` comes back unchanged, so the stage that
    reads it names the missing path.
    """
    if Path(rel).exists():
        return rel
    found = shipped_path(rel) if rel in SHIPPED else None
    return str(found) if found is not None else rel


def register_resolver() -> None:
    """Make ``${bundled:...}`` available to the configs (idempotent: Hydra may compose many times per process)."""
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, bundled)
