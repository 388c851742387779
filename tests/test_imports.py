"""A theme fit with the shipped embedding does not import torch (issue 18)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
import numpy as np
from feedback_nlp.topics import ThemeModel
# Hand-written fixture sentences (not real reviews), enough for the BERTopic path.
words = ["livraison", "colis", "prix", "conseiller", "remboursement", "site"]
texts = [f"{words[i % 6]} {words[(i * 7) % 6]} avis numero {i} tres {words[(i * 5) % 6]}"
         for i in range(400)]
rng = np.random.default_rng(0)
vectors = np.eye(6)[[i % 6 for i in range(400)]] + 0.05 * rng.standard_normal((400, 6))
vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
ThemeModel(random_state=0, reducer="pca").fit_transform(texts, vectors)
print("bertopic" in sys.modules, "torch" in sys.modules, "transformers" in sys.modules)
"""


def test_theme_fit_does_not_import_torch() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == ["True", "False", "False"], done.stdout[-500:]


def test_blocking_is_temporary() -> None:
    from feedback_nlp import _imports

    with _imports.without(["some_absent_package_xyz", "json"]):
        import json  # already imported: never blocked

        assert json.dumps(1) == "1"
    assert not any(isinstance(f, _imports._Blocker) for f in sys.meta_path)
