"""Ids and labels shared by the theme modules (no imports: safe from anywhere)."""

OTHER_ID = -1
OTHER_LABEL = "Autre / non classé"
OTHER_FAMILY = "Autres sujets"
MODEL_FORMAT = "feedback-nlp-theme-model/1"
