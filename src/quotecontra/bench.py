"""``make bench``: run every benchmark module and write its JSON under experiments/bench/.

Speed and memory targets live here, not in timed tests. ``python -m quotecontra.bench annotate classifier`` runs a subset.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

BENCHMARKS = ("annotate", "annotate_scaling", "classifier", "scale", "active_loop", "attribution", "claims")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help=f"subset of {BENCHMARKS}")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names:
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; choose from {BENCHMARKS}")
        t0 = time.perf_counter()
        print(f"== bench {name}", flush=True)
        try:
            result = importlib.import_module(f"quotecontra.benchmarks.{name}").main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"bench {name} failed: {exc!r}", file=sys.stderr)
            failed.append(name)
            continue
        print(json.dumps(result, indent=2)[:2000])
        print(f"== bench {name} done in {time.perf_counter() - t0:.0f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
