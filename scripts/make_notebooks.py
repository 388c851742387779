"""Write the two analyst notebooks (without outputs) into notebooks/.

    python scripts/make_notebooks.py

They are executed top to bottom by tests/test_notebooks.py on the bundled sample.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "notebooks"

SETUP = """\
from pathlib import Path
import os
import pandas as pd
import feedback_nlp

# Le notebook tourne depuis notebooks/ ou depuis la racine du dépôt.
ROOT = Path.cwd() if (Path.cwd() / "data").exists() else Path.cwd().parent
SAMPLE = ROOT / "data" / "avis_assurance_2021.csv"
N = int(os.environ.get("FEEDBACK_NLP_NOTEBOOK_ROWS", "1500"))  # échantillon pour aller vite
pd.set_option("display.max_colwidth", 80)
"""

ANALYZE = """\
resultat = feedback_nlp.analyze(
    SAMPLE, text="avis", score="note", date="date", segment="produit",
    score_scale="stars",   # notes 1-5 : le NPS est un proxy, signalé comme tel
    sample=N,
)
print(resultat.summary())
"""


def explorer() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Explorer les thèmes\n\n"
            "Avis clients réels d'assureurs (échantillon `data/avis_assurance_2021.csv`, voir "
            "`data/README.md`). On lance l'analyse, on parcourt les thèmes, on lit les verbatims "
            "d'un thème, puis on renomme et fusionne des thèmes avant de recalculer les irritants."
        ),
        new_code_cell(SETUP),
        new_code_cell(ANALYZE),
        new_markdown_cell("## Les thèmes trouvés\n\nUn thème par groupe d'opinions ; `share` = part des "
                          "répondants qui en parlent, `net_sentiment` = % positif − % négatif."),
        new_code_cell('themes = resultat.themes\n'
                      'themes[["theme_id", "label", "family", "n_documents", "share", "net_sentiment", "keywords"]]'),
        new_markdown_cell("## Visualisations BERTopic\n\nLes mots-clés de chaque thème (c-TF-IDF), "
                          "quand le modèle a été ajusté par BERTopic (corpus assez grand)."),
        new_code_cell(
            "modele = resultat.theme_model\n"
            "bertopic = getattr(modele, 'topic_model_', None)\n"
            "if bertopic is not None:\n"
            "    fig = bertopic.visualize_barchart(top_n_topics=8, n_words=6)\n"
            "else:\n"
            "    import plotly.express as px\n"
            "    fig = px.bar(themes.head(15), x='share', y='label', orientation='h')\n"
            "fig"
        ),
        new_markdown_cell("## Thèmes par catégorie NPS\n\nPart des détracteurs, passifs et promoteurs "
                          "qui mentionnent chaque thème (avec le lift et sa q-valeur)."),
        new_code_cell(
            "import plotly.express as px\n"
            "par_nps = resultat.theme_by_nps\n"
            "px.bar(par_nps, x='share', y='label', color='nps_class', orientation='h', barmode='group',\n"
            "       height=700, color_discrete_map={'detractor': '#d64545', 'passive': '#9aa5b1', 'promoter': '#3f9142'})"
        ),
        new_markdown_cell("## Les thèmes dans le temps"),
        new_code_cell(
            "parts = resultat.trends[resultat.trends['metric'] == 'share']\n"
            "top = resultat.priorities.head(5)['theme_id']\n"
            "px.line(parts[parts['theme_id'].isin(top)], x='period', y='value', color='label',\n"
            "        labels={'value': 'part des répondants (%)'})"
        ),
        new_markdown_cell("## Lire les verbatims d'un thème\n\nLes textes sont masqués (e-mails, "
                          "téléphones, numéros de contrat...)."),
        new_code_cell(
            "premier = int(resultat.priorities.iloc[0]['theme_id'])\n"
            "opinions = resultat.segments[resultat.segments['theme_id'] == premier]\n"
            "opinions[['row_id', 'text', 'sentiment']].head(10)"
        ),
        new_markdown_cell("## Renommer, fusionner, recalculer\n\nLes modifications s'appliquent au "
                          "modèle et aux tables ; les réglages du vectoriseur sont conservés."),
        new_code_cell(
            "from feedback_nlp.topics import curate\n"
            "from feedback_nlp import drivers\n"
            "a, b = [int(t) for t in themes['theme_id'].head(2)]\n"
            "resultat = curate(resultat, rename={a: 'Mon thème renommé'}, merge=[[a, b]])\n"
            "resultat = drivers.annotate(resultat, feedback_nlp.AnalysisConfig(score_scale='stars'))\n"
            "assert 'Mon thème renommé' in set(resultat.themes['label'])\n"
            "resultat.priorities[['rank', 'label', 'mentions', 'negative_impact', 'quadrant_label']].head(10)"
        ),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def prioriser() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Prioriser les irritants\n\n"
            "Quels irritants corriger en premier, et combien de points de NPS sont en jeu ? "
            "Matrice de priorité, impacts avec intervalles de confiance, segments, et comparaison "
            "avant / après."
        ),
        new_code_cell(SETUP),
        new_code_cell(ANALYZE),
        new_markdown_cell("## Irritants classés\n\n`negative_impact` : NPS de tous − NPS sans ceux qui "
                          "mentionnent négativement le thème (points), avec son intervalle à 95 %. "
                          "Les thèmes sous le seuil de support sont « à surveiller » et classés après."),
        new_code_cell(
            "colonnes = ['rank', 'label', 'mentions', 'share', 'negative_share', 'negative_impact',\n"
            "            'negative_impact_ci_low', 'negative_impact_ci_high', 'penalty', 'reward', 'quadrant_label', 'low_support']\n"
            "resultat.priorities[colonnes].head(12)"
        ),
        new_markdown_cell("## Matrice de priorité"),
        new_code_cell(
            "import plotly.express as px\n"
            "p = resultat.priorities.dropna(subset=['severity'])\n"
            "fig = px.scatter(p, x='share', y='severity', size='negative_share', color='quadrant_label',\n"
            "                 hover_name='label', labels={'share': 'part des répondants', 'severity': 'gravité'})\n"
            "fig.add_vline(x=p['share'].median(), line_dash='dot')\n"
            "fig.add_hline(y=p['severity'].median(), line_dash='dot')\n"
            "fig"
        ),
        new_markdown_cell("## Par produit\n\nNPS par segment avec intervalle, puis les priorités dans le "
                          "segment le plus représenté."),
        new_code_cell(
            "m = resultat.metrics\n"
            "m[m['cut'] == 'segment'][['value', 'n', 'nps', 'nps_ci_low', 'nps_ci_high']].sort_values('n', ascending=False)"
        ),
        new_code_cell(
            "coupes = resultat.tables['cuts']\n"
            "auto = coupes[(coupes['cut'] == 'segment') & (coupes['value'] == 'auto')]\n"
            "auto[['rank', 'label', 'mentions', 'negative_impact', 'low_support']].head(8)"
        ),
        new_markdown_cell("## Avant / après\n\nLe premier semestre 2021 face au second : évolution du NPS "
                          "et de la part de chaque thème (mesurer → agir → re-mesurer)."),
        new_code_cell(
            "from feedback_nlp import drivers\n"
            "comparaison = drivers.compare_periods(resultat, before=('2021-01-01', '2021-06-30'),\n"
            "                                      after=('2021-07-01', '2021-12-31'))\n"
            "print(comparaison.summary())\n"
            "comparaison.overall"
        ),
        new_code_cell("comparaison.themes.head(10)"),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def main() -> None:
    OUT.mkdir(exist_ok=True)
    nbformat.write(explorer(), OUT / "01_explorer_les_themes.ipynb")
    nbformat.write(prioriser(), OUT / "02_prioriser_les_irritants.ipynb")
    print(f"notebooks written to {OUT}")


if __name__ == "__main__":
    main()
