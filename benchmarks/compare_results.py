"""Compare benchmark results with the last committed ones and print regressions.

Usage::

    .venv/bin/python benchmarks/compare_results.py                 # every results/*.json
    .venv/bin/python benchmarks/compare_results.py pipeline clean_io --threshold 0.25
    .venv/bin/python benchmarks/compare_results.py --against HEAD~3

For each ``benchmarks/results/<name>.json`` in the working tree, reads the version
committed at ``--against`` (default ``HEAD``) with ``git show`` and compares every
figure it recognises by name: times (keys ending in ``_s``, and every entry of a
``stages_s`` table) and memory (``*_rss_mb``) regress when they grow, throughputs
(``*_per_s``) when they shrink. Rows of a list are matched by their ``n`` / ``rows``.
Prints the figures that got more than ``--threshold`` (25%) worse. Informational:
the exit status is 0 unless ``--strict`` (machines are noisy; CI only prints).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: Figures below these are noise (a 0.01 s stage "doubling" means nothing).
MIN_SECONDS = 0.5
MIN_MB = 50.0


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a JSON document, keyed by a readable path."""
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("machine", "machines", "targets", "versions"):
                continue
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = str(index)
            if isinstance(item, dict):
                for key in ("n", "rows", "name", "size"):
                    if key in item and not isinstance(item[key], (dict, list)):
                        label = f"{key}={item[key]}"
                        break
            out.update(flatten(item, f"{prefix}[{label}]"))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[prefix] = float(value)
    return out


def direction(path: str) -> int:
    """+1: bigger is worse (time, memory); -1: smaller is worse (throughput); 0: ignore."""
    leaf = path.rsplit(".", 1)[-1]
    if leaf.endswith("_per_s") or leaf.endswith("per_s") or leaf == "speedup":
        return -1
    if leaf.endswith("_rss_mb"):
        return 1
    if leaf.endswith("_s") or ".stages_s." in path or leaf == "seconds":
        return 1
    return 0


def regressions(old: dict[str, Any], new: dict[str, Any],
                threshold: float = 0.25) -> list[tuple[str, float, float, float]]:
    """``(figure, old, new, relative change)`` for every figure worse by more than ``threshold``."""
    before, after = flatten(old), flatten(new)
    found = []
    for path, new_value in after.items():
        sign = direction(path)
        old_value = before.get(path)
        if sign == 0 or old_value is None or old_value <= 0:
            continue
        floor = MIN_MB if path.endswith("_rss_mb") else MIN_SECONDS if sign > 0 else 0.0
        if sign > 0 and max(old_value, new_value) < floor:
            continue
        change = (new_value - old_value) / old_value
        if sign * change > threshold:
            found.append((path, old_value, new_value, change))
    return found


def committed(name: str, against: str) -> dict[str, Any] | None:
    done = subprocess.run(["git", "show", f"{against}:benchmarks/results/{name}.json"], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="result names (default: every results/*.json)")
    parser.add_argument("--against", default="HEAD", help="git revision to compare with")
    parser.add_argument("--threshold", type=float, default=0.25)
    parser.add_argument("--strict", action="store_true", help="exit 1 when something regressed")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.stem for p in RESULTS.glob("*.json"))
    worse = 0
    for name in names:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            print(f"{name}: no results/{name}.json in the working tree")
            continue
        old = committed(name, args.against)
        if old is None:
            print(f"{name}: nothing committed at {args.against} to compare with")
            continue
        found = regressions(old, json.loads(path.read_text(encoding="utf-8")), args.threshold)
        if not found:
            print(f"{name}: no figure more than {args.threshold:.0%} worse than {args.against}")
        for figure, before, after, change in found:
            print(f"{name}: {figure} {before:g} -> {after:g} ({change:+.0%})")
        worse += len(found)
    return 1 if (args.strict and worse) else 0


if __name__ == "__main__":
    sys.exit(main())
