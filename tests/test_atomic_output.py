"""Runs are atomic and outputs unambiguous (issue 18).

Before: Ctrl-C during ``analyze --chunksize`` left a valid-looking ``documents.parquet``
with part of the rows next to the previous run's ``summary.json`` and reports; a run into
a used folder kept the older ``report.html``, ``analyse.xlsx``, ``themes.*`` beside the
new tables. Now a run writes into a temporary sibling folder moved into place when
complete; a folder that is not empty is refused unless ``--overwrite`` / ``overwrite=True``,
which replaces it whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import feedback_nlp
from feedback_nlp.cli import main
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import OutputError

HOSTILE = Path(__file__).parent / "data" / "hostile"
FAST = ["--no-sentiment", "--no-themes", "-q"]
CONFIG = AnalysisConfig().replace(sentiment=False, themes={"enabled": False})


def _analyze(path: Path, out: Path, *extra: str) -> int:
    return main(["analyze", str(path), "--text", "commentaire", "--score", "nps",
                 "-o", str(out), *FAST, *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name)


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError])
def test_interrupted_streaming_run_leaves_the_previous_result_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        interrupt: type[BaseException]) -> None:
    out = tmp_path / "out"
    assert _analyze(HOSTILE / "bom.csv", out) == 0  # an earlier run, on another file
    before = _snapshot(out)
    assert "report.html" in before

    from feedback_nlp.io import TableAppender

    write = TableAppender.write
    calls = {"n": 0}

    def write_then_fail(self: TableAppender, frame: pd.DataFrame) -> None:
        calls["n"] += 1
        if calls["n"] > 2:  # documents and segments of the first chunk are written
            raise interrupt("stopped during the streaming write")
        write(self, frame)

    monkeypatch.setattr(TableAppender, "write", write_then_fail)
    code = _analyze(HOSTILE / "scale_out_hostile.csv", out, "--chunksize", "7", "--overwrite")
    assert code == (130 if interrupt is KeyboardInterrupt else 70)  # Ctrl-C / internal error
    assert calls["n"] > 2
    assert _snapshot(out) == before  # not a byte of the interrupted run
    assert _leftovers(tmp_path) == []
    capsys.readouterr()


def test_interrupted_first_run_leaves_no_folder(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from feedback_nlp import streaming

    def fail(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(streaming, "_save_aggregates", fail)  # after every chunk is written
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        streaming.analyze_stream(HOSTILE / "scale_out_hostile.csv", out, chunksize=7,
                                 text="commentaire", config=CONFIG)
    assert not out.exists() and _leftovers(tmp_path) == []


def test_run_into_a_used_folder_is_refused_then_replaced_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _analyze(HOSTILE / "bom.csv", out) == 0  # with report.html and analyse.xlsx
    before = _snapshot(out)
    capsys.readouterr()
    assert _analyze(HOSTILE / "scale_out_hostile.csv", out, "--no-report") != 0
    err = capsys.readouterr().err
    assert "[E401]" in err and "--overwrite" in err and "not empty" in err
    assert len(err.strip().splitlines()) == 1
    assert _snapshot(out) == before

    assert _analyze(HOSTILE / "scale_out_hostile.csv", out, "--no-report", "--overwrite") == 0
    names = {p.name for p in out.iterdir()}
    assert "report.html" not in names and "analyse.xlsx" not in names  # only the new run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "scale_out_hostile.csv" in summary["source"] and summary["rows_read"] == 60
    assert names == {f"{t}.{ext}" for t in summary["tables"] for ext in ("parquet", "csv")} \
        | {"summary.json"}
    assert _leftovers(tmp_path) == []


def test_overwrite_replaces_only_a_result_folder(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mes_notes.txt").write_text("à garder", encoding="utf-8")
    assert _analyze(HOSTILE / "bom.csv", notes, "--overwrite") != 0
    err = capsys.readouterr().err
    assert "[E401]" in err and "not a feedback-nlp result" in err
    assert [p.name for p in notes.iterdir()] == ["mes_notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _analyze(HOSTILE / "bom.csv", empty, "--no-report") == 0  # an empty folder is fine
    assert (empty / "summary.json").exists()


def test_current_folder_is_refused_even_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert _analyze(HOSTILE / "bom.csv", Path("."), "--overwrite") != 0
    err = capsys.readouterr().err
    assert "[E401]" in err and "current folder" in err and "-o resultats/" in err
    assert list(here.iterdir()) == [] and _leftovers(tmp_path) == []


def test_api_save_refuses_a_used_folder_unless_overwrite(tmp_path: Path) -> None:
    first = feedback_nlp.analyze(HOSTILE / "bom.csv", text="commentaire", sentiment=False,
                                 themes={"enabled": False})
    first.tables["extra_from_first_run"] = pd.DataFrame({"x": [1]})
    out = first.save(tmp_path / "out")
    assert (out / "extra_from_first_run.parquet").exists()
    second = feedback_nlp.analyze(HOSTILE / "scale_out_hostile.csv", text="commentaire",
                                  sentiment=False, themes={"enabled": False})
    with pytest.raises(OutputError, match="overwrite=True"):
        second.save(out)
    second.save(out, overwrite=True)
    assert not (out / "extra_from_first_run.parquet").exists()
    loaded = feedback_nlp.FeedbackAnalysis.load(out)
    assert len(loaded.documents) == 60 and _leftovers(tmp_path) == []


def test_a_killed_runs_leftover_is_removed_by_the_next_run_and_live_ones_kept(tmp_path: Path) -> None:
    """A SIGKILLed run cannot clean up: its ``.out.partial-…`` used to stay forever."""
    import os
    import subprocess
    import sys

    from feedback_nlp.io.write import _HOST

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    out = tmp_path / "out"
    killed = tmp_path / f".out.partial-{_HOST}-{dead_pid}-0123abcd"
    killed_old_name = tmp_path / f".out.old-{dead_pid}-0123abcd"  # name before the host part
    running = tmp_path / f".out.partial-{_HOST}-{os.getpid()}-0123abcd"
    elsewhere = tmp_path / f".out.partial-00000000-{dead_pid}-0123abcd"
    other_target = tmp_path / f".other.partial-{_HOST}-{dead_pid}-0123abcd"
    for folder in (killed, killed_old_name, running, elsewhere, other_target):
        folder.mkdir()
        (folder / "documents.parquet").write_bytes(b"half written")
    assert _analyze(HOSTILE / "bom.csv", out) == 0
    assert (out / "summary.json").is_file()
    assert _leftovers(tmp_path) == sorted(p.name for p in (running, elsewhere, other_target))
