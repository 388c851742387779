"""Every command example of `feedback-nlp --help` (and of each command's help) and of the
README's "Command line" section runs, as written, on the bundled samples.

Fast option: the examples run in a temporary folder whose ``data/`` holds a seeded
150-row sample of each bundled file (same columns, real rows), so each run takes seconds.
Examples run in the order they are printed (``report resultats/`` reads what an earlier
``analyze -o resultats/`` wrote). Only ``train-sentiment`` and ``finetune-sentiment`` are
not run: they need the training corpora of ../shared/data (and a local base model) and
take minutes; their examples are still parsed against the command's options.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from feedback_nlp.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = {"train-sentiment", "finetune-sentiment"}


def _examples(text: str) -> list[str]:
    """``feedback-nlp ...`` command lines of a text, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("feedback-nlp ") and not line.startswith("feedback-nlp: "):
            found.append(" ".join(line.split("  #")[0].split()))
    return found


def _help_texts() -> list[str]:
    parser = build_parser()
    texts = [parser.format_help()]
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for sub in commands.choices.values():  # type: ignore[union-attr]
        texts.append(sub.format_help())
    return texts


def _readme_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [e for block in blocks for e in _examples(block)]


def _all_examples() -> list[str]:
    examples: list[str] = []
    for text in _help_texts() + ["\n".join(_readme_examples())]:
        for example in _examples(text):
            if example not in examples:
                examples.append(example)
    return examples


def test_examples_are_found() -> None:
    examples = _all_examples()
    commands = {shlex.split(e)[1] for e in examples}
    assert {"analyze", "report", "compare", "themes", "--help"} <= commands, commands
    assert len(_readme_examples()) >= 3


def test_every_example_parses_against_its_command() -> None:
    parser = build_parser()
    for example in _all_examples():
        argv = shlex.split(example)[1:]
        if argv == ["--help"]:
            continue
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                parser.parse_args(argv)
            except SystemExit as exc:  # argparse error: a wrong option in the example
                pytest.fail(f"{example}: {err.getvalue() or exc}")


def test_every_example_runs_on_the_bundled_samples(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for source in sorted((ROOT / "data").glob("*.csv")):
        frame = pd.read_csv(source, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        frame.sample(150, random_state=0).to_csv(data / source.name, index=False)
    monkeypatch.chdir(tmp_path)
    ran = []
    for example in _all_examples():
        argv = shlex.split(example)[1:]
        if argv[0] in NOT_RUN:
            continue
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # --help exits through argparse
                code = int(exc.code or 0)
        assert code == 0, f"{example}\n{err.getvalue()[-2000:]}"
        if argv[0] == "analyze":
            folder = tmp_path / argv[argv.index("-o") + 1]
            assert (folder / "report.html").exists() and (folder / "priorities.csv").exists()
        ran.append(argv[0])
    assert {"analyze", "report", "compare", "themes"} <= set(ran)
