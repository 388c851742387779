"""Build the small real samples in data/ from ../shared/data (seeded, reproducible).

    python scripts/make_sample.py [--shared ../shared/data]

Nothing is generated or edited: rows are copied as they are, columns renamed for the demo.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

SEED = 20261124


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data"))
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
    shared, out = Path(args.shared), Path(args.out)
    out.mkdir(exist_ok=True)

    insurance = pd.read_csv(shared / "fr_reviews_insurance.csv.gz", dtype={"date": str})
    year = insurance[insurance["date"].str.startswith("2021", na=False)]
    # Stratified by month so the trend chart has every month of 2021.
    month = year["date"].str.slice(0, 7)
    share = args.rows / len(year)
    sample = (
        year.groupby(month, group_keys=False)
        .apply(lambda g: g.sample(n=max(1, round(len(g) * share)), random_state=SEED))
        .sort_values(["date", "entity"], kind="stable")
    )
    sample = sample[["date", "entity", "product", "rating", "text"]].rename(
        columns={"entity": "assureur", "product": "produit", "rating": "note", "text": "avis"}
    )
    sample.to_csv(out / "avis_assurance_2021.csv", index=False, encoding="utf-8")

    showroom = pd.read_csv(shared / "fr_reviews_trustpilot_showroomprive.csv.gz", dtype={"date": str})
    showroom = showroom[["date", "channel", "rating", "title", "text"]].rename(
        columns={"channel": "canal", "rating": "note", "title": "titre", "text": "avis"}
    )
    showroom.to_csv(out / "avis_showroomprive.csv", index=False, encoding="utf-8")
    print(f"{len(sample)} insurance rows, {len(showroom)} Showroomprivé rows written to {out}")


if __name__ == "__main__":
    main()
