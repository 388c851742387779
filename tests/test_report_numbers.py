"""Every number a reader sees in the report and the workbook is the number in the tables.

Two real analyses: the bundled sample as `make demo` runs it (600 rows), and a small
scored, dated frame (200 real rows of the same file) cut by insurer, so that most groups
hold 1-5 answers. The HTML is parsed as a reader sees it (the text of each cell) and
compared with the tables, in the tables' units: NPS and impacts in points, ``share``
columns of ``priorities`` / ``themes`` / ``theme_by_nps`` as fractions (shown × 100),
``trends`` / ``emerging`` shares already in percent (shown as is), changes in points.
Shares must read in [0, 100] and NPS in [−100, 100]; no interval may have zero width;
groups under the minimum support are greyed, tagged "n trop faible" and never listed
above a supported group. The workbook's cells are checked the same way, through their
number format.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp import FeedbackAnalysis, analyze
from feedback_nlp.report import render_html, to_excel

NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


class _Tables(HTMLParser):
    """Rows of every ``<table id=...>``: ``(tr class, [cell texts])``; card texts too."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, list[str]]]] = {}
        self.cards: list[list[str]] = []
        self._table: str | None = None
        self._row: tuple[str, list[str]] | None = None
        self._cell: list[str] | None = None
        self._card_depth = 0
        self._depth = 0
        self._card: list[str] | None = None
        self._div: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = str(found["id"])
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = (str(found.get("class") or ""), [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag == "div":
            self._depth += 1
            if found.get("class") == "card":
                self._card, self._card_depth = [], self._depth
            elif self._card is not None:
                self._div = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            if self._row[1] and self._cell is None:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "div":
            if self._card is not None and self._div is not None:
                self._card.append(" ".join("".join(self._div).split()))
                self._div = None
            elif self._card is not None and self._depth == self._card_depth:
                self.cards.append(self._card)
                self._card = None
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._div is not None:
            self._div.append(data)


def _page(analysis: FeedbackAnalysis) -> _Tables:
    parser = _Tables()
    parser.feed(render_html(analysis))
    return parser


def _numbers(text: str) -> list[float]:
    return [float(v) for v in NUMBER.findall(text.replace("−", "-"))]


def _body(rows: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    return rows[1:]  # the header row


def _close(shown: float, value: float, digits: int = 1) -> bool:
    return abs(shown - value) <= 0.5 * 10 ** -digits + 1e-9


@pytest.fixture(scope="module")
def demo_result(sample_csv: Path) -> FeedbackAnalysis:
    """The `make demo` analysis of the bundled sample, on 600 real rows."""
    return analyze(sample_csv, text="avis", score="note", score_scale="stars", date="date",
                   segment="produit", keep=["assureur"], sample=600)


@pytest.fixture(scope="module")
def tiny_groups_result(sample_csv: Path) -> FeedbackAnalysis:
    """200 real scored, dated rows cut by insurer: most groups hold 1-5 answers."""
    return analyze(sample_csv, text="avis", score="note", score_scale="stars", date="date",
                   segment="assureur", sample=200)


RESULTS = ["demo_result", "tiny_groups_result"]


def _check_interval(value: float, low: float, high: float, *, bound: float) -> None:
    assert -bound <= low <= value <= high <= bound, (low, value, high)
    assert high > low, f"zero-width interval shown: {value} [{low} ; {high}]"


@pytest.mark.parametrize("name", RESULTS)
def test_overview_and_segments_match_metrics(name: str, request: pytest.FixtureRequest) -> None:
    result: FeedbackAnalysis = request.getfixturevalue(name)
    page = _page(result)
    overall = result.metrics[result.metrics["cut"] == "all"].iloc[0]
    nps_card = next(c for c in page.cards if c[0].startswith("NPS"))
    value, low, high, n = _numbers(nps_card[1] + " " + nps_card[2].replace("IC 95", ""))
    assert _close(value, overall["nps"]) and _close(low, overall["nps_ci_low"])
    assert _close(high, overall["nps_ci_high"]) and n == overall["n"]
    _check_interval(value, low, high, bound=100)
    usable = next(c for c in page.cards if c[0] == "Textes exploitables")
    share = _numbers(usable[2])[0]
    assert 0 <= share <= 100
    assert _close(share, 100 * (result.documents["text_status"] == "ok").mean())

    groups = result.metrics[result.metrics["cut"] != "all"].set_index(["cut", "value"])
    rows = _body(page.tables["table-cuts"])
    assert len(rows) == len(groups)
    min_support = result.info["config"]["drivers"]["min_support"]
    seen_low: set[str] = set()
    for css, (cut, label, n_text, nps_text) in rows:
        low_support = "n trop faible" in label
        value_label = label.replace("n trop faible", "").strip()
        row = groups.loc[(cut, value_label)]
        assert int(n_text) == row["n"]
        value, low, high = _numbers(nps_text)
        assert _close(value, row["nps"]) and _close(low, row["nps_ci_low"])
        assert _close(high, row["nps_ci_high"])
        _check_interval(value, low, high, bound=100)
        assert low_support == (row["n"] < min_support) == ("low" in css)
        if not low_support:
            assert cut not in seen_low, "a supported group is listed under a small one"
        else:
            seen_low.add(cut)
    if name == "tiny_groups_result":
        assert seen_low  # the insurer cut has groups of 1-5 answers


@pytest.mark.parametrize("name", RESULTS)
def test_priorities_table_matches(name: str, request: pytest.FixtureRequest) -> None:
    result: FeedbackAnalysis = request.getfixturevalue(name)
    page = _page(result)
    table = result.priorities.set_index("rank")
    rows = _body(page.tables["table-priorities"])
    assert len(rows) == len(table) > 0
    ranks_low = []
    for css, cells in rows:
        rank, label, mentions, negative, nps_m, nps_o, cost, impact, _quadrant = cells
        row = table.loc[int(rank)]
        assert label.startswith(str(row["label"]))
        count, share = _numbers(mentions)
        assert count == row["mentions"] and _close(share, 100 * row["share"])
        assert 0 <= share <= 100
        if pd.notna(row["negative_share"]):
            negative_share = _numbers(negative)[0]
            assert 0 <= negative_share <= 100 and _close(negative_share, 100 * row["negative_share"])
        for text, column in ((nps_m, "nps_mentioners"), (nps_o, "nps_non_mentioners")):
            if pd.notna(row[column]):
                assert _close(_numbers(text)[0], row[column]) and -100 <= _numbers(text)[0] <= 100
        shown = _numbers(cost)
        assert _close(shown[0], row["negative_impact"]) and -100 <= shown[0] <= 100
        if pd.isna(row["negative_impact_ci_low"]):  # no negative mention: no interval shown
            assert len(shown) == 1 and row["negative_mentions"] == 0, cost
        else:
            value, low, high = shown
            assert _close(low, row["negative_impact_ci_low"])
            assert _close(high, row["negative_impact_ci_high"])
            assert high > low, f"zero-width impact interval for {row['label']}"
        assert _close(_numbers(impact)[0], row["nps_impact"])
        assert ("low" in css) == bool(row["low_support"])
        ranks_low.append(bool(row["low_support"]))
    assert ranks_low == sorted(ranks_low), "a small theme ranked above a supported one"


@pytest.mark.parametrize("name", RESULTS)
def test_theme_cards_match(name: str, request: pytest.FixtureRequest) -> None:
    result: FeedbackAnalysis = request.getfixturevalue(name)
    page = render_html(result)
    priorities = result.priorities.set_index("theme_id")
    for theme in result.themes.itertuples():
        card = re.search(rf'data-theme-id="{int(theme.theme_id)}">(.*?)<ul>', page, re.S)
        assert card, theme.label
        text = " ".join(re.sub(r"<[^>]+>", " ", card.group(1)).split())
        line = re.search(r"(\d+) réponses · ([\d.]+) %", text)
        assert line and int(line.group(1)) == theme.n_documents
        assert _close(float(line.group(2)), 100 * theme.share) and 0 <= float(line.group(2)) <= 100
        if int(theme.theme_id) in priorities.index:
            row = priorities.loc[int(theme.theme_id)]
            shown = re.search(r"en parlent : ([+-][\d.]+) \[([+-][\d.]+) ; ([+-][\d.]+)\]", text)
            if pd.notna(row["nps_mentioners"]):
                assert shown
                value, low, high = (float(g) for g in shown.groups())
                assert _close(value, row["nps_mentioners"]) and _close(low, row["nps_mentioners_ci_low"])
                _check_interval(value, low, high, bound=100)
        spark = re.search(r"(\d+) → (\d+) %", text)
        if spark:
            shares = result.trends[(result.trends["metric"] == "share")
                                   & (result.trends["theme_id"] == theme.theme_id)]
            shares = shares.sort_values("period_start")["value"]
            assert abs(float(spark.group(1)) - shares.iloc[0]) <= 0.5 + 1e-9
            assert abs(float(spark.group(2)) - shares.iloc[-1]) <= 0.5 + 1e-9
            assert 0 <= float(spark.group(2)) <= 100


@pytest.mark.parametrize("name", RESULTS)
def test_emerging_pairs_and_changes_match(name: str, request: pytest.FixtureRequest) -> None:
    result: FeedbackAnalysis = request.getfixturevalue(name)
    emerging = result.tables.get("emerging")
    assert emerging is not None and len(emerging)
    rows = _body(_page(result).tables["table-emerging"])
    assert 0 < len(rows) <= len(emerging)
    by_label = emerging.set_index("label")
    seen_low = False
    for css, (label, pair, change, _status) in rows:
        low_support = "n trop faible" in label
        row = by_label.loc[label.replace("n trop faible", "").strip()]
        before, after = _numbers(pair)
        assert "%" in pair and 0 <= before <= 100 and 0 <= after <= 100, pair
        assert _close(before, row["share_previous"]) and _close(after, row["share_last"])
        value, low, high = _numbers(change)
        assert _close(value, row["change"]) and abs(value) <= 100
        assert abs(value - (after - before)) <= 0.11  # the change is the pair's difference
        assert _close(low, row["change_ci_low"]) and _close(high, row["change_ci_high"])
        assert low_support == bool(row["low_support"]) == ("low" in css)
        assert not (seen_low and not low_support), "a small pair listed above a supported one"
        seen_low = seen_low or low_support


@pytest.mark.parametrize("name", RESULTS)
def test_nps_legend_and_class_shares(name: str, request: pytest.FixtureRequest) -> None:
    result: FeedbackAnalysis = request.getfixturevalue(name)
    page = render_html(result)
    legend = re.search(r'<p class="note">([^<]*détracteurs[^<]*)</p>', page)
    assert legend
    shares = _numbers(legend.group(1))
    assert all(0 <= s <= 100 for s in shares) and abs(sum(shares) - 100) <= 0.2
    overall = result.metrics[result.metrics["cut"] == "all"].iloc[0]
    assert _close(shares[0], 100 * overall["detractor_share"])
    assert _close(shares[2], 100 * overall["promoter_share"])


def _sheet_values(path: Path, name: str) -> pd.DataFrame:
    import openpyxl

    sheet = openpyxl.load_workbook(path)[name]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return pd.DataFrame([{h: (c.value, c.number_format) for h, c in zip(header, r)}
                         for r in rows[1:]])


def _shown(cell: tuple[object, str]) -> float:
    """The number a reader sees: fractions under a ``%`` format are shown × 100."""
    value, number_format = cell
    assert isinstance(value, (int, float)), cell
    return 100 * float(value) if number_format.endswith("0%") else float(value)


@pytest.mark.parametrize("name", RESULTS)
def test_excel_values_match_the_tables(name: str, request: pytest.FixtureRequest,
                                       tmp_path: Path) -> None:
    import openpyxl

    result: FeedbackAnalysis = request.getfixturevalue(name)
    path = to_excel(result, tmp_path / "analyse.xlsx")
    sheet = _sheet_values(path, "Priorités")
    table = result.priorities.sort_values("rank").reset_index(drop=True)
    assert len(sheet) == len(table)
    for i, row in table.iterrows():
        cells = sheet.iloc[i]
        assert cells["Thème"][0] == row["label"] and cells["Mentions"][0] == row["mentions"]
        share = _shown(cells["Part des répondants"])
        assert 0 <= share <= 100 and _close(share, 100 * row["share"], 6)
        for header, column in (("NPS de ceux qui en parlent", "nps_mentioners"),
                               ("Coût NPS des mentions négatives", "negative_impact"),
                               ("IC 95 % bas", "negative_impact_ci_low"),
                               ("IC 95 % haut", "negative_impact_ci_high")):
            if pd.notna(row[column]):
                shown = _shown(cells[header])
                assert -100 <= shown <= 100 and _close(shown, row[column], 6)
    themes = _sheet_values(path, "Thèmes")
    for i, row in result.themes.reset_index(drop=True).iterrows():
        share = _shown(themes.iloc[i]["Part"])
        assert 0 <= share <= 100 and _close(share, 100 * row["share"], 6)
    by_class = _sheet_values(path, "Thèmes × NPS")
    for i, row in result.theme_by_nps.reset_index(drop=True).iterrows():
        for header, column in (("Part de la catégorie", "share"), ("Part globale", "base_share")):
            shown = _shown(by_class.iloc[i][header])
            assert 0 <= shown <= 100 and _close(shown, 100 * row[column], 6)
    trends = _sheet_values(path, "Tendances")
    for i, row in result.trends.reset_index(drop=True).iterrows():
        shown = _shown(trends.iloc[i]["Valeur"])
        assert _close(shown, row["value"], 6)
        assert (0 <= shown <= 100) if row["metric"] != "nps" else (-100 <= shown <= 100)
        if row["metric"] == "nps":
            assert trends.iloc[i]["IC 95 % haut"][0] > trends.iloc[i]["IC 95 % bas"][0]
    # Overview: the metrics block, header row then one row per group.
    overview = openpyxl.load_workbook(path)["Synthèse"]
    cells = {row[0].value: row[1] for row in overview.iter_rows(min_row=3, max_row=8)
             if row[0].value}
    overall = result.metrics[result.metrics["cut"] == "all"].iloc[0]
    nps_label = next(k for k in cells if str(k).startswith("NPS") and "IC" not in str(k))
    assert _close(cells[nps_label].value, overall["nps"], 6)
    start = next(r for r in range(1, 40) if overview.cell(r, 1).value == "cut")
    header = [overview.cell(start, c).value for c in range(1, overview.max_column + 1)]
    for offset, (_, row) in enumerate(result.metrics.iterrows(), start=1):
        for col, column in enumerate(header, start=1):
            if column is None or column in ("cut", "value") or pd.isna(row.get(column)):
                continue
            cell = overview.cell(start + offset, col)
            shown = _shown((cell.value, cell.number_format))
            if column.endswith("share"):
                assert 0 <= shown <= 100 and _close(shown, 100 * row[column], 6)
            elif column.startswith("nps"):
                assert -100 <= shown <= 100 and _close(shown, row[column], 6)
            elif column in ("n", "rows") or column.endswith("_n"):
                assert cell.number_format == "0" and shown == row[column]
    assert np.isfinite(overall["nps"])


def test_excel_metric_formats_follow_units(tmp_path: Path) -> None:
    """CSAT is already in percent, its counts are counts: neither is a signed NPS point."""
    import openpyxl

    from feedback_nlp import scores

    # Hand-built frame (not customer data): 8 answers with NPS class, CSAT 1-5 and CES 1-7.
    documents = pd.DataFrame({
        "row_id": range(8), "text_status": ["ok"] * 8, "status": ["ok"] * 8,
        "nps_class": ["promoter"] * 4 + ["detractor"] * 2 + ["passive"] * 2,
        "csat": [5, 4, 4, 2, 1, 5, 3, 4], "ces": [2, 3, 1, 6, 7, 2, 4, 3],
        "segment": ["A"] * 6 + ["B"] * 2,
    })
    analysis = FeedbackAnalysis(documents=documents,
                                metrics=scores.metrics_table(documents, by=["segment"]))
    path = to_excel(analysis, tmp_path / "analyse.xlsx")
    sheet = openpyxl.load_workbook(path)["Synthèse"]
    start = next(r for r in range(1, 40) if sheet.cell(r, 1).value == "cut")
    header = {sheet.cell(start, c).value: c for c in range(1, sheet.max_column + 1)}
    for offset, (_, row) in enumerate(analysis.metrics.iterrows(), start=1):
        csat_n = sheet.cell(start + offset, header["csat_n"])
        assert csat_n.value == row["csat_n"] and csat_n.number_format == "0"
        csat = sheet.cell(start + offset, header["csat"])
        assert csat.value == pytest.approx(row["csat"]) and 0 <= csat.value <= 100
        assert "%" in csat.number_format and not csat.number_format.startswith("+")
        assert not csat.number_format.endswith("0%")  # already a percent: not shown × 100
        ces_n = sheet.cell(start + offset, header["ces_n"])
        assert ces_n.number_format == "0"
        nps = sheet.cell(start + offset, header["nps"])
        assert nps.number_format.startswith("+") and -100 <= nps.value <= 100


@pytest.mark.parametrize("name", RESULTS)
def test_theme_by_nps_chart_matches_and_flags_small_themes(
        name: str, request: pytest.FixtureRequest) -> None:
    import json

    result: FeedbackAnalysis = request.getfixturevalue(name)
    page = render_html(result)
    figures = json.loads(re.search(r'id="fnlp-figures">(.*?)</script>', page, re.S)
                         .group(1).replace("<\\/", "</"))
    bars = figures["chart-theme-nps"]["data"]
    table = result.theme_by_nps
    small = set(table.loc[table["low_support"], "label"])
    for trace in bars:
        cls = next(k for k, v in {"detractor": "détracteurs", "passive": "passifs",
                                  "promoter": "promoteurs"}.items() if v == trace["name"])
        rows = table[table["nps_class"] == cls].set_index("label")
        for label, shown in zip(trace["y"], trace["x"]):
            flagged = label.endswith(" · n trop faible")
            name_shown = label.removesuffix(" · n trop faible")
            match = [lab for lab in rows.index if lab == name_shown or
                     (name_shown.endswith("…") and lab.startswith(name_shown[:-1]))]
            assert len(match) >= 1, label
            assert flagged == (match[0] in small)
            assert 0 <= shown <= 100 and _close(shown, 100 * rows.loc[match[0], "share"])


@pytest.mark.parametrize("name", RESULTS)
def test_charts_match_the_tables(name: str, request: pytest.FixtureRequest) -> None:
    """NPS per period with its band, and the priority matrix's volume axis."""
    import json

    result: FeedbackAnalysis = request.getfixturevalue(name)
    page = render_html(result)
    figures = json.loads(re.search(r'id="fnlp-figures">(.*?)</script>', page, re.S)
                         .group(1).replace("<\\/", "</"))
    high, low, line = figures["chart-trends"]["data"][:3]
    nps = result.trends[result.trends["metric"] == "nps"].sort_values("period_start")
    assert line["x"] == nps["period"].astype(str).tolist()
    for shown, top, bottom, n, (_, row) in zip(line["y"], high["y"], low["y"], line["customdata"],
                                                nps.iterrows()):
        assert _close(shown, row["value"]) and _close(top, row["ci_high"])
        assert _close(bottom, row["ci_low"]) and n == row["n"]
        _check_interval(shown, bottom, top, bound=100)
    min_support = result.info["config"]["drivers"]["min_support"]
    assert line["text"] == ["n trop faible" if n < min_support else "" for n in nps["n"]]
    matrix = figures["chart-priorities"]["data"][0]
    plotted = result.priorities[result.priorities["share"].notna()
                                & result.priorities["severity"].notna()]
    assert len(matrix["x"]) == len(plotted)
    for x, y, (_, row) in zip(matrix["x"], matrix["y"], plotted.iterrows()):
        assert 0 <= x <= 100 and _close(x, 100 * row["share"], 2)
        assert _close(y, row["severity"], 2)
