"""Report labels in French (default) and English: one catalogue, looked up by key."""

from __future__ import annotations

from typing import Any

import pandas as pd

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Analyse des verbatims clients",
        "generated": "Généré le {date} par feedback-nlp {version} à partir de {source}",
        "nav_overview": "Synthèse",
        "nav_nps": "NPS",
        "nav_priorities": "Priorités",
        "nav_themes": "Thèmes",
        "nav_theme_nps": "Thèmes × NPS",
        "nav_trends": "Tendances",
        "nav_cuts": "Segments",
        "nav_method": "Méthode",
        "overview": "Synthèse",
        "rows_read": "Réponses lues",
        "rows_usable": "Textes exploitables",
        "nps": "NPS",
        "nps_proxy": "NPS (proxy étoiles)",
        "ci95": "IC 95 %",
        "csat": "CSAT",
        "ces": "CES",
        "sentiment_mix": "Sentiment des opinions",
        "negative": "négatif",
        "neutral": "neutre",
        "positive": "positif",
        "status_breakdown": "Statut des lignes",
        "nps_distribution": "Distribution des notes",
        "score": "Note",
        "answers": "Réponses",
        "detractor": "détracteurs",
        "passive": "passifs",
        "promoter": "promoteurs",
        "priorities": "Matrice de priorité et irritants classés",
        "priorities_help": (
            "Axe horizontal : part des répondants qui mentionnent le thème. Axe vertical : "
            "gravité (points de NPS perdus par les mentions négatives, rapportés au volume). "
            "Taille des bulles : part de mentions négatives. Les lignes séparent les quadrants "
            "(médianes)."
        ),
        "share_axis": "Part des répondants qui en parlent (%)",
        "severity_axis": "Gravité (points de NPS perdus par point de volume)",
        "rank": "Rang",
        "theme": "Thème",
        "family": "Famille",
        "mentions": "Mentions",
        "negative_share": "% négatif",
        "nps_mentioners": "NPS de ceux qui en parlent",
        "nps_non_mentioners": "NPS des autres",
        "negative_impact": "Coût NPS des mentions négatives",
        "nps_impact": "Impact NPS (toutes mentions)",
        "quadrant": "Quadrant",
        "priority_score": "Score de priorité",
        "low_support": "à surveiller — trop peu de verbatims",
        "n_too_small": "n trop faible",
        "status_emerging": "émergent",
        "status_growing": "en hausse",
        "status_stable": "stable",
        "status_fading": "en baisse",
        "themes": "Thèmes",
        "keywords": "Mots-clés",
        "examples": "Verbatims (données personnelles masquées)",
        "trend": "Évolution de la part",
        "net_sentiment": "Sentiment net",
        "theme_nps": "Thèmes par catégorie NPS",
        "theme_nps_help": "Part des détracteurs, passifs et promoteurs qui mentionnent chaque thème.",
        "trends": "Tendances",
        "nps_over_time": "NPS par période",
        "period": "Période",
        "emerging": "Irritants émergents (dernière période vs précédente)",
        "change": "Variation (pts)",
        "status": "Statut",
        "cuts": "Segments, canaux et étapes",
        "cut": "Découpage",
        "value": "Valeur",
        "n": "Réponses notées",
        "method": "Méthode",
        "none": "—",
        "no_themes": "Aucun thème (modélisation désactivée ou trop peu de textes).",
        "proxy_note": (
            "Les notes sont des étoiles (1–5) : le NPS est un proxy (5★ promoteur, 4★ passif, "
            "1–3★ détracteur), pas la question de recommandation 0–10."
        ),
    },
    "en": {
        "title": "Customer verbatim analysis",
        "generated": "Generated on {date} by feedback-nlp {version} from {source}",
        "nav_overview": "Overview",
        "nav_nps": "NPS",
        "nav_priorities": "Priorities",
        "nav_themes": "Themes",
        "nav_theme_nps": "Themes × NPS",
        "nav_trends": "Trends",
        "nav_cuts": "Segments",
        "nav_method": "Method",
        "overview": "Overview",
        "rows_read": "Answers read",
        "rows_usable": "Usable texts",
        "nps": "NPS",
        "nps_proxy": "NPS (star proxy)",
        "ci95": "95% CI",
        "csat": "CSAT",
        "ces": "CES",
        "sentiment_mix": "Opinion sentiment",
        "negative": "negative",
        "neutral": "neutral",
        "positive": "positive",
        "status_breakdown": "Row status",
        "nps_distribution": "Score distribution",
        "score": "Score",
        "answers": "Answers",
        "detractor": "detractors",
        "passive": "passives",
        "promoter": "promoters",
        "priorities": "Priority matrix and ranked irritants",
        "priorities_help": (
            "Horizontal axis: share of respondents mentioning the theme. Vertical axis: "
            "severity (NPS points lost through negative mentions, per unit of volume). Bubble "
            "size: share of negative mentions. Lines split the quadrants (medians)."
        ),
        "share_axis": "Share of respondents mentioning it (%)",
        "severity_axis": "Severity (NPS points lost per point of volume)",
        "rank": "Rank",
        "theme": "Theme",
        "family": "Family",
        "mentions": "Mentions",
        "negative_share": "% negative",
        "nps_mentioners": "NPS of mentioners",
        "nps_non_mentioners": "NPS of others",
        "negative_impact": "NPS cost of negative mentions",
        "nps_impact": "NPS impact (all mentions)",
        "quadrant": "Quadrant",
        "priority_score": "Priority score",
        "low_support": "watch — too few verbatims",
        "n_too_small": "n too small",
        "status_emerging": "emerging",
        "status_growing": "growing",
        "status_stable": "stable",
        "status_fading": "fading",
        "themes": "Themes",
        "keywords": "Keywords",
        "examples": "Verbatims (personal data masked)",
        "trend": "Share over time",
        "net_sentiment": "Net sentiment",
        "theme_nps": "Themes by NPS class",
        "theme_nps_help": "Share of detractors, passives and promoters who mention each theme.",
        "trends": "Trends",
        "nps_over_time": "NPS per period",
        "period": "Period",
        "emerging": "Emerging irritants (last period vs previous)",
        "change": "Change (pts)",
        "status": "Status",
        "cuts": "Segments, channels and stages",
        "cut": "Cut",
        "value": "Value",
        "n": "Scored answers",
        "method": "Method",
        "none": "—",
        "no_themes": "No themes (theme modelling off or too few texts).",
        "proxy_note": (
            "Scores are star ratings (1–5): NPS is a proxy (5★ promoter, 4★ passive, 1–3★ "
            "detractor), not the 0–10 recommendation question."
        ),
    },
}

METHOD = {
    "fr": [
        ("Nettoyage", "Réparation de l'encodage, HTML, Unicode, apostrophes, élongations, "
         "orthographe SMS ; les données personnelles (e-mails, téléphones, IBAN, cartes, "
         "adresses, numéros de commande) sont masquées avant toute sortie. Les réponses vides, "
         "non informatives (RAS, néant, N/A) ou non françaises gardent leur ligne avec un statut."),
        ("Opinions", "Chaque verbatim est découpé en phrases puis en propositions aux "
         "marqueurs de contraste (mais, par contre, cependant...). Sentiment et thème sont "
         "calculés par opinion."),
        ("NPS", "NPS = % promoteurs (9–10) − % détracteurs (0–6). Intervalle à 95 % : "
         "approximation normale de la loi a posteriori de p − d avec un a priori de "
         "Dirichlet(1, 1, 1) (une réponse fictive par catégorie) : jamais de largeur nulle "
         "sur les petits groupes, couverture de 95 % dès 10 réponses. Les groupes sous le "
         "seuil de support sont grisés (« n trop faible ») et classés après les autres."),
        ("Impact d'un thème", "Coût des mentions négatives = NPS de tous − NPS sans ceux qui "
         "mentionnent négativement le thème ; impact toutes mentions = NPS de tous − NPS de ceux "
         "qui n'en parlent pas ; intervalles à 95 %. Un modèle de régression multi-thèmes donne "
         "les pénalités et récompenses sans double compte."),
        ("Priorité", "Score = borne prudente (IC 95 %) du coût des mentions négatives ; les "
         "thèmes sous le seuil de support sont signalés « à surveiller » et classés après."),
        ("Tendances", "Part de chaque thème et NPS par période (semaine, mois ou trimestre selon "
         "l'étendue des dates) ; irritants émergents par test exact de Fisher avec correction "
         "de Benjamini–Hochberg."),
    ],
    "en": [
        ("Cleaning", "Encoding repair, HTML, Unicode, quotes, elongations, SMS spelling; "
         "personal data (e-mails, phones, IBANs, cards, addresses, order numbers) is masked "
         "before any output. Empty, non-informative (RAS, N/A) or non-French answers keep their "
         "row with a status."),
        ("Opinions", "Each verbatim is split into sentences, then clauses at contrast markers "
         "(mais, par contre, cependant...). Sentiment and theme are computed per opinion."),
        ("NPS", "NPS = % promoters (9–10) − % detractors (0–6). 95% interval: normal "
         "approximation of the posterior of p − d under a Dirichlet(1, 1, 1) prior (one "
         "pseudo-answer per class): never zero width on small groups, 95% coverage from 10 "
         "answers. Groups under the support threshold are greyed ('n too small') and listed "
         "after the others."),
        ("Theme impact", "Negative-mention cost = NPS of all − NPS without those who mention "
         "the theme negatively; all-mention impact = NPS of all − NPS of non-mentioners; 95% "
         "intervals. A multi-theme regression gives penalties and rewards without double "
         "counting."),
        ("Priority", "Score = the cautious (95% CI) bound of the negative-mention cost; themes "
         "under the support threshold are flagged 'watch' and ranked after."),
        ("Trends", "Theme shares and NPS per period (week, month or quarter from the date span); "
         "emerging irritants by Fisher's exact test with Benjamini–Hochberg correction."),
    ],
}


def messages(lang: str) -> dict[str, str]:
    """The catalogue for ``lang`` (``fr`` or ``en``)."""
    if lang not in MESSAGES:
        from feedback_nlp.errors import ConfigError

        raise ConfigError(f"Report language {lang!r} is not available.", fix="use 'fr' or 'en'.")
    return MESSAGES[lang]


# --------------------------------------------------------------------------- drivers
# The drivers return codes (quadrant, note, period); these catalogues turn them into text.

QUADRANT_LABELS = {
    "fr": {"fix first": "à corriger en priorité", "watch": "à surveiller",
           "keep": "à maintenir", "strengths": "points forts"},
    "en": {"fix first": "fix first", "watch": "watch", "keep": "keep", "strengths": "strengths"},
}

DRIVER_NOTES = {
    "fr": {"low_support": "à surveiller — trop peu de verbatims",
           "not_significant": "impact non significatif (l'intervalle contient 0)", "": ""},
    "en": {"low_support": "watch — too few verbatims",
           "not_significant": "impact not significant (the interval contains 0)", "": ""},
}

COMPARISON_TEXT = {
    "fr": {
        "significant": "significatif", "not_significant": "non significatif",
        "p_small": "p < 0,001", "p": "p = {p}", "decimal": ",",
        "change": "Évolution du NPS : {nps} pts [IC {low} ; {high}] ({p_text}, {significance})",
        "before": "Avant", "after": "Après", "proxy": " (proxy étoiles)",
        "period": "{name} ({start} → {end}) : NPS{proxy} {nps} [{low} ; {high}] sur {n} réponses",
        "themes": "Thèmes (part des verbatims, avant → après ; impact NPS) :",
        "theme": "  {label} : {before} % → {after} % ({change} pts{star}) ; impact "
                 "{impact_before} → {impact_after}",
        "star": "  * : changement de part significatif (p < 0,05)",
    },
    "en": {
        "significant": "significant", "not_significant": "not significant",
        "p_small": "p < 0.001", "p": "p = {p}", "decimal": ".",
        "change": "NPS change: {nps} pts [CI {low} ; {high}] ({p_text}, {significance})",
        "before": "Before", "after": "After", "proxy": " (star proxy)",
        "period": "{name} ({start} → {end}): NPS{proxy} {nps} [{low} ; {high}] on {n} answers",
        "themes": "Themes (share of verbatims, before → after; NPS impact):",
        "theme": "  {label}: {before} % → {after} % ({change} pts{star}); impact "
                 "{impact_before} → {impact_after}",
        "star": "  * : significant change of share (p < 0.05)",
    },
}


def quadrant_label(quadrant: str, lang: str = "fr") -> str:
    """French (or English) label of a quadrant code of the priority matrix.

    >>> quadrant_label("fix first")
    'à corriger en priorité'
    """
    return QUADRANT_LABELS.get(lang, QUADRANT_LABELS["fr"]).get(quadrant, quadrant)


THEMES_NOTES: dict[str, dict[str, str]] = {
    "fr": {
        "repetitive_corpus": (
            "Corpus trop répétitif pour former des thèmes : {distinct} texte(s) d'opinion "
            "distinct(s) utilisable(s) sur {opinions} opinions (il en faut au moins {minimum} "
            "pour regrouper en thèmes). Toutes les lignes sont gardées avec leur statut ; "
            "{themes} thème(s) trouvé(s), les autres opinions sont classées « Autre » ou "
            "« Satisfaction générale ». Vérifiez l'export (réponse par défaut recopiée, "
            "mauvaise colonne --text)."),
    },
    "en": {
        "repetitive_corpus": (
            "Corpus too repetitive to form themes: {distinct} distinct usable opinion text(s) "
            "among {opinions} opinions (at least {minimum} are needed to cluster themes). Every "
            "row is kept with its status; {themes} theme(s) found, the other opinions are "
            "filed under \"Other\" or \"General satisfaction\". Check the export (a default "
            "answer copied, the wrong --text column)."),
    },
}


def themes_note_text(note: dict[str, Any], lang: str = "fr") -> str:
    """Text of an ``info["themes_note"]`` (see :func:`feedback_nlp.topics.repetition_note`)."""
    template = THEMES_NOTES.get(lang, THEMES_NOTES["fr"]).get(str(note.get("code")))
    if template is None:
        return str(note.get("message", note.get("code", "")))
    sep = " " if lang == "fr" else ","
    return template.format(distinct=note.get("distinct_opinions"), minimum=note.get("minimum"),
                           opinions=f"{int(note.get('opinions', 0)):,}".replace(",", sep),
                           themes=note.get("themes", 0))


def driver_note(code: str, lang: str = "fr") -> str:
    """Text of a priority note code (``low_support``, ``not_significant`` or ``""``)."""
    return DRIVER_NOTES.get(lang, DRIVER_NOTES["fr"]).get(code, code)


def _signed(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:+.1f}"


def comparison_summary(comparison: Any, top: int = 10, lang: str = "fr") -> str:
    """Terminal lines of a :class:`~feedback_nlp.drivers.PeriodComparison`."""
    t = COMPARISON_TEXT.get(lang, COMPARISON_TEXT["fr"])
    lines = []
    for _, row in comparison.overall.iterrows():
        if row["period"] == "change":
            significance = t["significant"] if row["p_value"] < 0.05 else t["not_significant"]
            p_text = t["p_small"] if row["p_value"] < 0.001 else \
                t["p"].format(p=f"{row['p_value']:.3f}".replace(".", t["decimal"]))
            lines.append(t["change"].format(nps=f"{row['nps']:+.1f}", low=f"{row['ci_low']:+.1f}",
                                            high=f"{row['ci_high']:+.1f}", p_text=p_text,
                                            significance=significance))
        else:
            start, end = comparison.before if row["period"] == "before" else comparison.after
            lines.append(t["period"].format(
                name=t[str(row["period"])], start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}",
                proxy=t["proxy"] if row["is_proxy"] else "", nps=f"{row['nps']:+.1f}",
                low=f"{row['ci_low']:+.1f}", high=f"{row['ci_high']:+.1f}", n=int(row["n"])))
    themes = comparison.themes
    if not themes.empty:
        lines.append(t["themes"])
        shown = themes.reindex(themes["share_change"].abs().sort_values(ascending=False).index).head(top)
        for _, row in shown.iterrows():
            lines.append(t["theme"].format(
                label=row["label"], before=f"{row['share_before']:.1f}",
                after=f"{row['share_after']:.1f}", change=_signed(row["share_change"]),
                star=" *" if row["share_p_value"] < 0.05 else "",
                impact_before=_signed(row["impact_before"]), impact_after=_signed(row["impact_after"])))
        lines.append(t["star"])
    return "\n".join(lines)
