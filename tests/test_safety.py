"""No code execution from files: the package never unpickles, and says so by grep.

Loading code that would run code from a model file (pickle, joblib, torch.load without
weights_only, skops with trusted=True for everything, trust_remote_code) is banned from
the package source. Per-model refusal tests live next to each loader's tests.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "feedback_nlp"

BANNED = [
    (re.compile(r"\bpickle\.loads?\("), "pickle.load"),
    (re.compile(r"\bcloudpickle\.loads?\("), "cloudpickle.load"),
    (re.compile(r"\bjoblib\.load\("), "joblib.load"),
    (re.compile(r"\bdill\.loads?\("), "dill.load"),
    (re.compile(r"\bpd\.read_pickle\(|\bread_pickle\("), "read_pickle"),
    (re.compile(r"\bnp\.load\([^)]*allow_pickle\s*=\s*True"), "np.load(allow_pickle=True)"),
    (re.compile(r"trust_remote_code\s*=\s*True"), "trust_remote_code=True"),
    (re.compile(r"\btrusted\s*=\s*True"), "skops trusted=True"),
    (re.compile(r"(?<![\w.])(?:eval|exec)\("), "eval/exec"),
]
TORCH_LOAD = re.compile(r"\btorch\.load\(([^)]*)\)")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_unsafe_deserialisation_in_package() -> None:
    offences = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for pattern, name in BANNED:
            for match in pattern.finditer(text):
                line = text[: match.start()].count("\n") + 1
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
        for match in TORCH_LOAD.finditer(text):
            if "weights_only=True" not in match.group(1):
                line = text[: match.start()].count("\n") + 1
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: torch.load without weights_only=True")
    assert not offences, "\n".join(offences)


def test_the_grep_catches_what_it_should(tmp_path: Path) -> None:
    sample = "import pickle\nmodel = pickle.load(open(p, 'rb'))\nx = torch.load(p)\n"
    hits = [name for pattern, name in BANNED if pattern.search(sample)]
    assert hits == ["pickle.load"]
    assert TORCH_LOAD.search(sample) and "weights_only=True" not in TORCH_LOAD.search(sample).group(1)
