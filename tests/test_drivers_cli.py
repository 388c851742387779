"""``feedback-nlp compare``: before/after on the bundled real sample (NPS only, fast)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feedback_nlp.cli import main

_COLUMNS = ["--text", "avis", "--score", "note", "--score-scale", "stars", "-q",
            "--no-themes", "--no-sentiment"]


@pytest.mark.slow
def test_compare_writes_nps_change(sample_csv: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(sample_csv), *_COLUMNS, "--date", "date",
                 "--before", "2021-01-01:2021-03-31", "--after", "2021-04-01:2021-06-30",
                 "-o", str(tmp_path)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Évolution du NPS" in printed and "proxy" in printed
    overall = pd.read_parquet(tmp_path / "comparison_overall.parquet").set_index("period")
    frame = pd.read_csv(sample_csv)
    dates = pd.to_datetime(frame["date"])
    for period, (start, end) in {"before": ("2021-01-01", "2021-03-31"),
                                 "after": ("2021-04-01", "2021-06-30")}.items():
        stars = frame.loc[(dates >= start) & (dates <= end), "note"]
        expected = 100 * ((stars == 5).mean() - (stars <= 3).mean())  # the star proxy
        assert overall.loc[period, "n"] == len(stars)
        assert overall.loc[period, "nps"] == pytest.approx(expected)
    change = overall.loc["after", "nps"] - overall.loc["before", "nps"]
    assert overall.loc["change", "nps"] == pytest.approx(change)
    assert overall.loc["change", "ci_low"] < change < overall.loc["change", "ci_high"]


@pytest.mark.parametrize("extra, message", [
    (["--date", "date", "--before", "2021-01-01", "--after", "2021-04-01:2021-06-30"], "START:END"),
    (["--before", "2021-01-01:2021-02-01", "--after", "2021-04-01:2021-06-30"], "--date"),
    (["--date", "date", "--before", "2021-03-01:2021-01-01", "--after", "2021-04-01:2021-06-30"],
     "reversed"),
])
def test_compare_errors_are_one_line(sample_csv: Path, capsys: pytest.CaptureFixture[str],
                                     extra: list[str], message: str) -> None:
    assert main(["compare", str(sample_csv), *_COLUMNS, *extra]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error and "Traceback" not in error


@pytest.mark.slow
def test_compare_period_without_rows_is_a_clear_error(sample_csv: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(sample_csv), *_COLUMNS, "--date", "date",
                 "--before", "2019-01-01:2019-03-31", "--after", "2021-04-01:2021-06-30"])
    assert code == 2
    assert "No row dated between 2019-01-01 and 2019-03-31" in capsys.readouterr().err


@pytest.mark.slow
def test_compare_output_is_atomic_and_never_mixed(sample_csv: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18: ``compare -o`` wrote its tables straight into the folder (next to any
    older files, and half-written when interrupted). Now: a used folder is refused
    before the work, --overwrite replaces a comparison folder whole, and an interrupted
    write leaves the previous tables as they were."""
    out = tmp_path / "cmp"
    args = ["compare", str(sample_csv), *_COLUMNS, "--date", "date",
            "--before", "2021-01-01:2021-03-31", "--after", "2021-04-01:2021-06-30",
            "-o", str(out)]
    assert main(args) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "comparison_overall.csv" in first
    (out / "stale.txt").write_text("older run", encoding="utf-8")
    capsys.readouterr()
    assert main(args) == 2  # used folder, no --overwrite: refused, one line, nothing written
    error = capsys.readouterr().err.strip()
    assert "[E401]" in error and "--overwrite" in error and "\n" not in error
    assert (out / "stale.txt").exists()

    from feedback_nlp import io as fio

    def fail(*_: object, **__: object) -> None:
        raise KeyboardInterrupt("stopped while writing")

    monkeypatch.setattr(fio, "write_csv", fail)
    assert main([*args, "--overwrite"]) == 130  # Ctrl-C while the tables are written
    assert {p.name for p in out.iterdir()} == {*first, "stale.txt"}
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    monkeypatch.undo()

    assert main([*args, "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(first)  # stale.txt is gone
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or ".old-" in p.name]
