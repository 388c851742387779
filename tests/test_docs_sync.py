"""The README quotes the measured benchmark tables exactly (generated, not hand-copied)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_tables_in_readme_match_benchmarks_results() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_benchmark_tables.py"),
                           "--check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
