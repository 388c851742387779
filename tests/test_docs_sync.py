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


def test_sections_keep_the_preamble_and_the_named_sections_only() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from sync_benchmark_tables import block, sections

    text = "# T\n\nMeasured today.\n\n## Targets\n\n| a |\n\n## Speed\n\nfast\n\n## Booking x\n\nb\n"
    kept = sections(text, ["Targets", "Booking"])
    assert kept == "# T\n\nMeasured today.\n\n## Targets\n\n| a |\n\n## Booking x\n\nb"
    assert "Speed" not in kept
    assert block(["sentiment#Targets"]).startswith("### French sentiment benchmark")
