"""Error codes: one per kind of error, each with a fix; library paths raise them, not bare
ValueError / AssertionError."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from feedback_nlp import errors

PACKAGE = Path(__file__).resolve().parents[1] / "feedback_nlp"
#: Modules of the refactor's rooms (issue 14): checked for bare ValueError / assert.
OWNED = ["pipeline.py", "stages.py", "result.py", "prepare.py", "distributed.py",
         "streaming.py", "errors.py", "config.py", "io", "cli"]


def _classes() -> list[type[errors.FeedbackError]]:
    found, todo = [], [errors.FeedbackError]
    while todo:
        klass = todo.pop()
        found.append(klass)
        todo.extend(klass.__subclasses__())
    return found


def test_every_error_class_has_its_own_code_and_a_fix() -> None:
    classes = _classes()
    codes = [k.code for k in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    assert set(errors.CODES) == set(codes)
    for klass in classes:
        assert klass.default_fix and klass.__doc__, klass.__name__


@pytest.mark.parametrize("klass", _classes(), ids=lambda k: k.__name__)
def test_message_is_one_line_with_code_and_fix(klass: type[errors.FeedbackError]) -> None:
    text = str(klass("Something\nwent wrong."))
    assert text.startswith(f"[{klass.code}] Something went wrong.") and "\n" not in text
    assert text.endswith(" ".join(klass.default_fix.split()))
    assert str(klass("x", fix="do y.")).endswith("Fix: do y.")


def test_unknown_key_and_option_conflicts_have_their_own_codes() -> None:
    from feedback_nlp.config import AnalysisConfig

    with pytest.raises(errors.UnknownOptionError) as info:
        AnalysisConfig.from_dict({"sead": 7})
    assert str(info.value).startswith("[E203]")
    assert isinstance(info.value, errors.ConfigError)  # callers catching ConfigError still do


def _owned_files() -> list[Path]:
    files: list[Path] = []
    for name in OWNED:
        path = PACKAGE / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


@pytest.mark.parametrize("path", _owned_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_bare_value_error_or_assert(path: Path) -> None:
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assert):
            bad.append(f"assert at line {node.lineno}")
        if isinstance(node, ast.Raise) and node.exc is not None:
            call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(call, ast.Name) and call.id in ("ValueError", "AssertionError"):
                bad.append(f"raise {call.id} at line {node.lineno}")
    assert bad == []
