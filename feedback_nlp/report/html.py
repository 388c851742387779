"""Self-contained HTML report: one file, plotly.js inlined, opens offline.

Each section appears only when its table exists. All user text is escaped with
:func:`html.escape`; verbatims come from the PII-masked tables. The report computes
nothing new: it only lays out the tables of a :class:`FeedbackAnalysis`.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.io import ensure_output_dir, json_default
from feedback_nlp.report.messages import METHOD, messages

_CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--neg:#d64545;--neu:#9aa5b1;
--pos:#3f9142;--accent:#2c5e9e}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
sans-serif;color:var(--ink);background:var(--bg)}header{background:#fff;border-bottom:1px solid
var(--line);padding:18px 32px;position:sticky;top:0;z-index:5}h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:var(--muted);font-size:13px}nav{margin-top:8px;display:flex;flex-wrap:wrap;
gap:14px}nav a{color:var(--accent);text-decoration:none;font-size:14px}main{max-width:1200px;
margin:0 auto;padding:16px 32px 48px}section{background:#fff;border:1px solid var(--line);
border-radius:8px;padding:18px 22px;margin:18px 0}h2{font-size:19px;margin:0 0 12px}
h3{font-size:16px;margin:0 0 6px}.cards{display:grid;grid-template-columns:repeat(auto-fit,
minmax(180px,1fr));gap:12px}.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .k{color:var(--muted);font-size:13px}.card .v{font-size:26px;font-weight:600}
.card .s{color:var(--muted);font-size:12px}.chart{width:100%;min-height:380px}
.note{color:var(--muted);font-size:13px}.proxy{background:#fff8e1;border:1px solid #f0d78c;
padding:8px 12px;border-radius:6px;font-size:13px;margin:8px 0}table{border-collapse:collapse;
width:100%;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:6px 8px;
text-align:left;vertical-align:top}th{background:#f0f4f8;position:sticky;top:0}
td.num{text-align:right;white-space:nowrap}.bar{display:flex;height:12px;border-radius:6px;
overflow:hidden;min-width:120px;background:#eee}.bar span{display:block;height:100%}
.neg{background:var(--neg)}.neu{background:var(--neu)}.pos{background:var(--pos)}
.themes{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px}
.theme{border:1px solid var(--line);border-radius:8px;padding:12px 14px}.theme .kw{color:
var(--muted);font-size:12px;margin:2px 0 8px}.theme ul{margin:6px 0 0;padding-left:18px;
font-size:13px}.theme li{margin:3px 0}.tag{display:inline-block;font-size:11px;padding:1px 6px;
border-radius:10px;background:#e8eef7;color:var(--accent);margin-left:6px}.tag.warn{background:
#fdecea;color:#a61b1b}.scroll{max-height:520px;overflow:auto}dl dt{font-weight:600;margin-top:8px}
dl dd{margin:2px 0 0 0;color:var(--ink)}tr.low td{color:#9aa5b1}.tag.low{background:#eef0f2;
color:#7b8794}
"""

_RUNNER = """
(function(){
  var status=document.getElementById('fnlp-status');var errors=[];
  window.addEventListener('error',function(e){errors.push(String(e.message));
    status.setAttribute('data-errors',errors.join(' | '));});
  var consoleError=console.error;
  console.error=function(){errors.push(Array.prototype.join.call(arguments,' '));
    status.setAttribute('data-errors',errors.join(' | '));
    return consoleError.apply(console,arguments);};
  var figures=JSON.parse(document.getElementById('fnlp-figures').textContent);
  var ids=Object.keys(figures);var done=0;
  ids.forEach(function(id){
    var fig=figures[id];
    try{
      Plotly.newPlot(id,fig.data,fig.layout,{displaylogo:false,responsive:true}).then(function(){
        done+=1;status.setAttribute('data-charts-rendered',String(done));
        var el=document.getElementById(id);
        el.setAttribute('data-rendered',String(el.querySelectorAll('.main-svg').length));
      });
    }catch(err){errors.push(id+': '+err);status.setAttribute('data-errors',errors.join(' | '));}
  });
})();
"""


def to_html(analysis: Any, path: str | os.PathLike[str], lang: str = "fr") -> Path:
    """Write the analysis as one self-contained HTML file and return its path."""
    from plotly.offline import get_plotlyjs

    path = Path(path)
    ensure_output_dir(path.parent)
    text = render_html(analysis, lang=lang, plotly_js=get_plotlyjs())
    path.write_text(text, encoding="utf-8")
    return path


def _source_label(source: str, lang: str) -> str:
    """``info["source"]`` ("file x.csv", "sheet 'A' of x.xlsx", "the DataFrame") for a reader."""
    import re

    if source.startswith("file "):
        return source[len("file "):]
    sheet = re.fullmatch(r"sheet (.+) of (.+)", source)
    if sheet:
        return (f"{sheet.group(2)}, feuille {sheet.group(1)}" if lang == "fr"
                else f"{sheet.group(2)}, sheet {sheet.group(1)}")
    if source in ("the DataFrame", "DataFrame"):
        return "un DataFrame pandas" if lang == "fr" else "a pandas DataFrame"
    return source


def render_html(analysis: Any, lang: str = "fr", plotly_js: str = "") -> str:
    """The report as a string (``plotly_js`` is inlined in a script tag)."""
    m = messages(lang)
    builder = _Builder(analysis, lang, m)
    body = builder.body()
    figures = json.dumps(builder.figures, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    figures = figures.replace("</", "<\\/")
    info = getattr(analysis, "info", {}) or {}
    from feedback_nlp import __version__

    generated = m["generated"].format(
        date=_dt.date.today().isoformat(), version=__version__,
        source=html.escape(_source_label(str(info.get("source", "DataFrame")), lang)),
    )
    nav = "".join(f'<a href="#{sid}">{html.escape(label)}</a>' for sid, label in builder.nav)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(m['title'])}</title><style>{_CSS}</style>"
        f"<script>{plotly_js}</script></head><body>"
        f"<header><h1>{html.escape(m['title'])}</h1><p>{generated}</p><nav>{nav}</nav></header>"
        f"<main>{body}</main>"
        f'<div id="fnlp-status" hidden data-charts-expected="{len(builder.figures)}" '
        f'data-charts-rendered="0" data-errors=""></div>'
        f'<script type="application/json" id="fnlp-figures">{figures}</script>'
        f"<script>{_RUNNER}</script></body></html>"
    )


def _json_default(value: Any) -> Any:
    """:func:`feedback_nlp.io.json_default`, but dates as ISO text (the charts read them);
    summary.json keeps io's ``str`` of a date."""
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.isoformat()
    return json_default(value)


def _fmt(value: Any, digits: int = 1, signed: bool = False, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if pct:
        number *= 100
    text = f"{number:+.{digits}f}" if signed else f"{number:.{digits}f}"
    return text + (" %" if pct else "")


def _pct(value: Any) -> str:
    """A value already in percent (trends, emerging): printed as is, with " %"."""
    text = _fmt(value)
    return text if text == "—" else text + " %"


def _ci(low: Any, high: Any) -> str:
    if _fmt(low) == "—" and _fmt(high) == "—":
        return ""  # no interval (no answer in the group): nothing to show, not [0 ; 0]
    return f"[{_fmt(low, signed=True)} ; {_fmt(high, signed=True)}]"


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 30, "b": 60},
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "height": 380,
    }
    layout.update(extra)
    return layout


class _Builder:
    def __init__(self, analysis: Any, lang: str, m: dict[str, str]) -> None:
        self.a = analysis
        self.lang = lang
        self.m = m
        self.figures: dict[str, dict[str, Any]] = {}
        self.nav: list[tuple[str, str]] = []
        self.is_proxy = bool(getattr(analysis, "info", {}).get("is_proxy", False))
        config = (getattr(analysis, "info", {}) or {}).get("config", {}) or {}
        self.min_support = int((config.get("drivers") or {}).get("min_support", 30))

    def _table(self, name: str) -> pd.DataFrame:
        value = getattr(self.a, name, None)
        if value is None:
            value = getattr(self.a, "tables", {}).get(name)
        return value if isinstance(value, pd.DataFrame) else pd.DataFrame()

    def body(self) -> str:
        parts = [
            self.overview(),
            self.nps_distribution(),
            self.priorities(),
            self.themes(),
            self.theme_by_nps(),
            self.trends(),
            self.cuts(),
            self.method(),
        ]
        return "".join(p for p in parts if p)

    def _section(self, sid: str, nav_key: str, title: str, content: str) -> str:
        self.nav.append((sid, self.m[nav_key]))
        return f'<section id="{sid}"><h2>{html.escape(title)}</h2>{content}</section>'

    def _chart(self, cid: str, figure: dict[str, Any], height: int = 380) -> str:
        figure["layout"].setdefault("height", height)
        self.figures[cid] = figure
        return f'<div class="chart" id="{cid}" style="min-height:{height}px"></div>'

    # ------------------------------------------------------------ sections

    def overview(self) -> str:
        m = self.m
        docs = self.a.documents
        cards = [(m["rows_read"], f"{len(docs):,}".replace(",", " "), "")]
        usable = int((docs["text_status"] == "ok").sum()) if "text_status" in docs else len(docs)
        share = usable / len(docs) if len(docs) else math.nan
        cards.append((m["rows_usable"], f"{usable:,}".replace(",", " "), _fmt(share, pct=True)))
        metrics = self._table("metrics")
        overall = metrics[metrics["cut"] == "all"].iloc[0] if not metrics.empty else None
        if overall is not None and "nps" in metrics.columns and pd.notna(overall.get("nps")):
            label = m["nps_proxy"] if self.is_proxy else m["nps"]
            cards.append((label, _fmt(overall["nps"], signed=True),
                          f"{m['ci95']} {_ci(overall['nps_ci_low'], overall['nps_ci_high'])} · n = {int(overall['n'])}"))
        for key in ("csat", "ces"):
            if overall is not None and key in metrics.columns and pd.notna(overall.get(key)):
                value = _fmt(overall[key]) + (" %" if key == "csat" else "")
                cards.append((m[key], value, f"{m['ci95']} {_ci(overall[f'{key}_ci_low'], overall[f'{key}_ci_high'])}"))
        html_cards = "".join(
            f'<div class="card"><div class="k">{html.escape(k)}</div><div class="v">{v}</div>'
            f'<div class="s">{s}</div></div>' for k, v, s in cards
        )
        content = f'<div class="cards">{html_cards}</div>'
        if self.is_proxy:
            content += f'<p class="proxy">{html.escape(m["proxy_note"])}</p>'
        note = (getattr(self.a, "info", {}) or {}).get("themes_note")
        if isinstance(note, dict):  # issue 18: a corpus too repetitive to form themes
            from feedback_nlp.report.messages import themes_note_text

            content += f'<p class="proxy">{html.escape(themes_note_text(note, self.lang))}</p>'
        segments = self._table("segments")
        if "sentiment" in segments.columns and len(segments):
            counts = segments["sentiment"].value_counts(normalize=True)
            content += f"<h3>{html.escape(m['sentiment_mix'])}</h3>" + _mix_bar(
                counts.get("negative", 0.0), counts.get("neutral", 0.0), counts.get("positive", 0.0), m
            )
            from feedback_nlp.sentiment import adaptation_message  # issue 15

            adapted = adaptation_message((getattr(self.a, "info", {}) or {}).get("sentiment_adaptation"), self.lang)
            content += f'<p class="proxy">{html.escape(adapted)}</p>' if adapted else ""
        counts = docs["status"].value_counts()
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td class='num'>{int(v)}</td></tr>"
                       for k, v in counts.items())
        content += (f"<h3>{html.escape(m['status_breakdown'])}</h3><table style='max-width:360px'>"
                    f"<tbody>{rows}</tbody></table>")
        return self._section("synthese", "nav_overview", m["overview"], content)

    def nps_distribution(self) -> str:
        docs = self.a.documents
        if "score" not in docs.columns or docs["score"].notna().sum() == 0:
            return ""
        m = self.m
        scores = docs["score"].dropna()
        values = np.sort(scores.round().astype(int).unique())
        counts = scores.round().astype(int).value_counts()
        classes = docs.loc[scores.index, "nps_class"]
        colour_of = {"detractor": "#d64545", "passive": "#9aa5b1", "promoter": "#3f9142"}
        colours = []
        for value in values:
            cls = classes[scores.round().astype(int) == value].mode()
            colours.append(colour_of.get(cls.iloc[0] if len(cls) else "", "#2c5e9e"))
        figure = {
            "data": [{"type": "bar", "x": [str(v) for v in values],
                      "y": [int(counts.get(v, 0)) for v in values], "marker": {"color": colours},
                      "hovertemplate": "%{x} : %{y}<extra></extra>"}],
            "layout": _layout(xaxis={"title": {"text": m["score"]}, "type": "category"},
                              yaxis={"title": {"text": m["answers"]}}),
        }
        shares = docs["nps_class"].value_counts(normalize=True)
        legend = " · ".join(
            f"{_fmt(shares.get(k, 0.0), pct=True)} {m[k]}" for k in ("detractor", "passive", "promoter")
        )
        return self._section("nps", "nav_nps", m["nps_distribution"],
                             self._chart("chart-nps", figure) + f'<p class="note">{legend}</p>')

    def priorities(self) -> str:
        table = self._table("priorities")
        if table.empty:
            return ""
        m = self.m
        plot = table[table["share"].notna()].copy()
        y_column = "severity" if "severity" in plot.columns else "negative_impact"
        plot = plot[plot[y_column].notna()]
        content = f'<p class="note">{html.escape(m["priorities_help"])}</p>'
        if len(plot):
            x = (plot["share"] * 100).round(2).tolist()
            y = plot[y_column].round(2).tolist()
            neg = plot.get("negative_share", pd.Series(0.0, index=plot.index)).fillna(0.0)
            sizes = (12 + 40 * neg).round(1).tolist()
            x_mid, y_mid = float(np.median(x)), float(np.median(y))
            labels = [_short_label(str(v)) for v in plot["label"]]
            top = set(plot.sort_values("rank").head(8).index)
            text = [lab if idx in top else "" for idx, lab in zip(plot.index, labels)]
            figure = {
                "data": [{
                    "type": "scatter", "mode": "markers+text", "x": x, "y": y, "text": text,
                    # Labels near the right edge go left of their bubble so they are not cut.
                    "textposition": ["top left" if v > 0.7 * max(x) else "top center" for v in x],
                    "textfont": {"size": 11},
                    "customdata": [[str(v), _fmt(n, pct=True)] for v, n in zip(plot["label"], neg)],
                    "hovertemplate": "%{customdata[0]}<br>%{x:.1f} % · %{y:.1f}<br>"
                                     + html.escape(m["negative_share"]) + " %{customdata[1]}<extra></extra>",
                    "marker": {"size": sizes, "color": neg.round(3).tolist(), "colorscale": "Reds",
                               "cmin": 0, "cmax": 1, "line": {"width": 1, "color": "#555"},
                               "opacity": 0.8},
                }],
                "layout": _layout(
                    height=480,
                    xaxis={"title": {"text": m["share_axis"]}, "zeroline": False},
                    yaxis={"title": {"text": m["severity_axis"]}, "zeroline": False},
                    shapes=[
                        {"type": "line", "x0": x_mid, "x1": x_mid, "yref": "paper", "y0": 0, "y1": 1,
                         "line": {"dash": "dot", "color": "#888"}},
                        {"type": "line", "y0": y_mid, "y1": y_mid, "xref": "paper", "x0": 0, "x1": 1,
                         "line": {"dash": "dot", "color": "#888"}},
                    ],
                ),
            }
            content += self._chart("chart-priorities", figure, height=480)
        head = ["rank", "theme", "mentions", "negative_share", "nps_mentioners", "nps_non_mentioners",
                "negative_impact", "nps_impact", "quadrant"]
        rows = []
        for _, row in table.sort_values("rank").iterrows():
            warn = (f'<span class="tag warn">{html.escape(m["low_support"])}</span>'
                    if bool(row.get("low_support", False)) else "")
            quadrant = row.get("quadrant_label", row.get("quadrant", ""))
            rows.append(
                f"<tr{' class=low' if bool(row.get('low_support', False)) else ''}>"
                f"<td class='num'>{_fmt(row.get('rank'), 0)}</td>"
                f"<td>{html.escape(str(row['label']))}{warn}</td>"
                f"<td class='num'>{_fmt(row.get('mentions'), 0)} ({_fmt(row.get('share'), pct=True)})</td>"
                f"<td class='num'>{_fmt(row.get('negative_share'), pct=True)}</td>"
                f"<td class='num'>{_fmt(row.get('nps_mentioners'), signed=True)}</td>"
                f"<td class='num'>{_fmt(row.get('nps_non_mentioners'), signed=True)}</td>"
                f"<td class='num'>{_fmt(row.get('negative_impact'), signed=True)} "
                f"{_ci(row.get('negative_impact_ci_low'), row.get('negative_impact_ci_high'))}</td>"
                f"<td class='num'>{_fmt(row.get('nps_impact'), signed=True)}</td>"
                f"<td>{html.escape(str(quadrant if pd.notna(quadrant) else ''))}</td>"
                "</tr>"
            )
        header = "".join(f"<th>{html.escape(m[h])}</th>" for h in head)
        content += (f'<div class="scroll"><table id="table-priorities"><thead><tr>{header}</tr></thead>'
                    f"<tbody>{''.join(rows)}</tbody></table></div>")
        return self._section("priorites", "nav_priorities", m["priorities"], content)

    def themes(self) -> str:
        themes = self._table("themes")
        m = self.m
        if themes.empty:
            if getattr(self.a, "info", {}).get("config", {}).get("themes", {}).get("enabled", True):
                return self._section("themes", "nav_themes", m["themes"], f"<p>{html.escape(m['no_themes'])}</p>")
            return ""
        priorities = self._table("priorities")
        merged = themes
        if not priorities.empty:
            keep = [c for c in ("theme_id", "rank", "nps_mentioners", "nps_mentioners_ci_low",
                                "nps_mentioners_ci_high", "nps_non_mentioners", "low_support")
                    if c in priorities.columns]
            merged = themes.merge(priorities[keep], on="theme_id", how="left")
            merged = merged.sort_values(["rank", "theme_id"], na_position="last")
        trends = self._table("trends")
        cards = []
        for _, row in merged.iterrows():
            examples = row.get("examples")
            examples = list(examples) if isinstance(examples, (list, np.ndarray)) else []
            items = "".join(f"<li>{html.escape(_clip(str(e)))}</li>" for e in examples[:5])
            nps_line = ""
            if pd.notna(row.get("nps_mentioners", np.nan)):
                nps_line = (f"<div class='note'>{html.escape(m['nps_mentioners'])} : "
                            f"<b>{_fmt(row['nps_mentioners'], signed=True)}</b> "
                            f"{_ci(row.get('nps_mentioners_ci_low'), row.get('nps_mentioners_ci_high'))}"
                            f" · {html.escape(m['nps_non_mentioners'])} : "
                            f"{_fmt(row.get('nps_non_mentioners'), signed=True)}</div>")
            mix = ""
            if pd.notna(row.get("negative_share", np.nan)):
                mix = _mix_bar(row["negative_share"], row.get("neutral_share", 0.0),
                               row.get("positive_share", 0.0), m)
            spark = _sparkline(trends, row["theme_id"], m) if not trends.empty else ""
            tag = (f'<span class="tag warn">{html.escape(m["low_support"])}</span>'
                   if bool(row.get("low_support", False)) else "")
            family = row.get("family")
            family_tag = f'<span class="tag">{html.escape(str(family))}</span>' if isinstance(family, str) and family else ""
            cards.append(
                f'<div class="theme" data-theme-id="{int(row["theme_id"])}">'
                f"<h3>{html.escape(str(row['label']))}{family_tag}{tag}</h3>"
                f"<div class='kw'>{html.escape(m['keywords'])} : {html.escape(str(row.get('keywords', '')))}</div>"
                f"<div class='note'>{_fmt(row.get('n_documents'), 0)} {html.escape(m['answers'].lower())} · "
                f"{_fmt(row.get('share'), pct=True)} · {html.escape(m['net_sentiment'])} "
                f"{_fmt(row.get('net_sentiment'), signed=True)}</div>"
                f"{nps_line}{mix}{spark}"
                f"<div class='note' style='margin-top:6px'>{html.escape(m['examples'])}</div><ul>{items}</ul></div>"
            )
        return self._section("themes", "nav_themes", m["themes"], f'<div class="themes">{"".join(cards)}</div>')

    def theme_by_nps(self) -> str:
        table = self._table("theme_by_nps")
        if table.empty or "nps_class" not in table.columns:
            return ""
        m = self.m
        order = ["detractor", "passive", "promoter"]
        pivot = table.pivot_table(index="label", columns="nps_class", values="share", aggfunc="first")
        # Small themes: their shares (and lifts) rest on a few answers; say so on the label.
        if "low_support" in table.columns:
            small = set(table.loc[table["low_support"].astype(bool), "label"])
        else:
            mentions = table.groupby("label")["mentions"].sum()
            small = set(mentions[mentions < self.min_support].index)
        pivot = pivot.reindex(columns=[c for c in order if c in pivot.columns])
        if "detractor" in pivot.columns:
            pivot = pivot.sort_values("detractor", ascending=True)
        labels = [_short_label(str(v), 48) + (f" · {m['n_too_small']}" if v in small else "")
                  for v in pivot.index]
        colours = {"detractor": "#d64545", "passive": "#9aa5b1", "promoter": "#3f9142"}
        data = [
            {"type": "bar", "orientation": "h", "name": m[c], "y": labels,
             "x": (pivot[c].fillna(0) * 100).round(1).tolist(), "marker": {"color": colours[c]},
             "hovertemplate": "%{y} : %{x:.1f} %<extra>" + m[c] + "</extra>"}
            for c in pivot.columns
        ]
        height = max(380, 22 * len(labels) * max(1, len(data)) // 2 + 120)
        figure = {"data": data, "layout": _layout(
            height=height, barmode="group", margin={"l": 330, "r": 20, "t": 30, "b": 50},
            xaxis={"title": {"text": "%"}}, legend={"orientation": "h", "y": 1.05})}
        content = f'<p class="note">{html.escape(m["theme_nps_help"])}</p>' + self._chart(
            "chart-theme-nps", figure, height=height)
        return self._section("themes-nps", "nav_theme_nps", m["theme_nps"], content)

    def trends(self) -> str:
        trends = self._table("trends")
        if trends.empty or "metric" not in trends.columns:
            return ""
        m = self.m
        content = ""
        nps = trends[trends["metric"] == "nps"].sort_values("period_start")
        if len(nps):
            periods = nps["period"].astype(str).tolist()
            figure = {
                "data": [
                    {"type": "scatter", "mode": "lines", "x": periods, "y": nps["ci_high"].round(1).tolist(),
                     "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
                    {"type": "scatter", "mode": "lines", "x": periods, "y": nps["ci_low"].round(1).tolist(),
                     "fill": "tonexty", "fillcolor": "rgba(44,94,158,0.15)", "line": {"width": 0},
                     "showlegend": False, "hoverinfo": "skip"},
                    {"type": "scatter", "mode": "lines+markers", "x": periods,
                     "y": nps["value"].round(1).tolist(), "name": m["nps"],
                     "customdata": nps["n"].tolist(),
                     "text": [m["n_too_small"] if n < self.min_support else "" for n in nps["n"]],
                     "hovertemplate": "%{x} : %{y:+.1f} (n = %{customdata}) %{text}<extra></extra>",
                     # Periods under the minimum support: grey markers ("n trop faible").
                     "marker": {"color": ["#9aa5b1" if n < self.min_support else "#2c5e9e"
                                          for n in nps["n"]]},
                     "line": {"color": "#2c5e9e"}},
                ],
                "layout": _layout(xaxis={"title": {"text": m["period"]}, "type": "category"},
                                  yaxis={"title": {"text": m["nps_proxy"] if self.is_proxy else m["nps"]}},
                                  showlegend=False),
            }
            content += f"<h3>{html.escape(m['nps_over_time'])}</h3>" + self._chart("chart-trends", figure)
        emerging = self._table("emerging")
        if not emerging.empty:
            rows = []
            # Supported rows first, each block by change; shares are already in %, the change
            # in points (of %): nothing is multiplied here.
            low = emerging["low_support"].astype(bool) if "low_support" in emerging else False
            shown = (emerging.assign(_low=low)
                     .sort_values(["_low", "change"], ascending=[True, False]).head(12))
            for _, row in shown.iterrows():
                tag = (f' <span class="tag low">{html.escape(m["n_too_small"])}</span>'
                       if row["_low"] else "")
                status = m.get(f"status_{row.get('status')}", str(row.get("status", "")))
                rows.append(
                    f"<tr{' class=low' if row['_low'] else ''}>"
                    f"<td>{html.escape(str(row.get('label', '')))}{tag}</td>"
                    f"<td class='num'>{_pct(row.get('share_previous'))} → {_pct(row.get('share_last'))}</td>"
                    f"<td class='num'>{_fmt(row.get('change'), signed=True)} "
                    f"{_ci(row.get('change_ci_low'), row.get('change_ci_high'))}</td>"
                    f"<td>{html.escape(status)}</td></tr>"
                )
            head = "".join(f"<th>{html.escape(m[k])}</th>" for k in ("theme", "period", "change", "status"))
            content += (f"<h3>{html.escape(m['emerging'])}</h3><table id='table-emerging'><thead><tr>{head}"
                        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        if not content:
            return ""
        return self._section("tendances", "nav_trends", m["trends"], content)

    def cuts(self) -> str:
        metrics = self._table("metrics")
        if metrics.empty or (metrics["cut"] != "all").sum() == 0 or "nps" not in metrics.columns:
            return ""
        m = self.m
        rows = []
        groups = metrics[metrics["cut"] != "all"].copy()
        groups["_low"] = groups["n"].fillna(0) < self.min_support
        groups["_order"] = groups["cut"].map({c: i for i, c in enumerate(dict.fromkeys(groups["cut"]))})
        # Within each cut: supported groups first, then those under the minimum support,
        # each block by size: a small group never sits above a supported one.
        groups = groups.sort_values(["_order", "_low", "n", "value"],
                                    ascending=[True, True, False, True], kind="mergesort")
        for _, row in groups.iterrows():
            tag = (f' <span class="tag low">{html.escape(m["n_too_small"])}</span>'
                   if row["_low"] else "")
            rows.append(
                f"<tr{' class=low' if row['_low'] else ''}><td>{html.escape(str(row['cut']))}</td>"
                f"<td>{html.escape(str(row['value']))}{tag}</td>"
                f"<td class='num'>{_fmt(row.get('n'), 0)}</td>"
                f"<td class='num'>{_fmt(row.get('nps'), signed=True)} {_ci(row.get('nps_ci_low'), row.get('nps_ci_high'))}</td></tr>"
            )
        head = "".join(f"<th>{html.escape(m[k])}</th>" for k in ("cut", "value", "n", "nps"))
        content = (f"<div class='scroll'><table id='table-cuts'><thead><tr>{head}</tr></thead>"
                   f"<tbody>{''.join(rows)}</tbody></table></div>")
        return self._section("segments", "nav_cuts", m["cuts"], content)

    def method(self) -> str:
        items = "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in METHOD[self.lang])
        content = f"<dl>{items}</dl>"
        if self.is_proxy:
            content += f'<p class="proxy">{html.escape(self.m["proxy_note"])}</p>'
        return self._section("methode", "nav_method", self.m["method"], content)


def _mix_bar(neg: float, neu: float, pos: float, m: dict[str, str]) -> str:
    values = [float(v) if pd.notna(v) else 0.0 for v in (neg, neu, pos)]
    spans = "".join(
        f'<span class="{cls}" style="width:{100 * v:.1f}%" title="{m[key]} {100 * v:.0f} %"></span>'
        for cls, key, v in zip(("neg", "neu", "pos"), ("negative", "neutral", "positive"), values)
    )
    legend = " · ".join(f"{m[k]} {100 * v:.0f} %" for k, v in zip(("negative", "neutral", "positive"), values))
    return f'<div class="bar">{spans}</div><div class="note">{legend}</div>'


def _sparkline(trends: pd.DataFrame, theme_id: Any, m: dict[str, str]) -> str:
    if "metric" not in trends.columns:
        return ""
    rows = trends[(trends["metric"] == "share") & (trends["theme_id"] == theme_id)].sort_values("period_start")
    values = rows["value"].astype(float).tolist()
    if len(values) < 2:
        return ""
    width, height = 160, 32
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    points = " ".join(
        f"{i * width / (len(values) - 1):.1f},{height - 3 - (v - low) / span * (height - 6):.1f}"
        for i, v in enumerate(values)
    )
    first, last = rows["period"].iloc[0], rows["period"].iloc[-1]
    return (f'<div class="note">{html.escape(m["trend"])} ({html.escape(str(first))} → '
            f'{html.escape(str(last))}, {values[0]:.0f} → {values[-1]:.0f} %)</div>'
            f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<polyline fill="none" stroke="#2c5e9e" stroke-width="1.5" points="{points}"/></svg>')


def _short_label(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _clip(text: str, limit: int = 320) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
