"""Ids and labels shared by the theme modules (no imports: safe from anywhere)."""

OTHER_ID = -1
OTHER_LABEL = "Autre / non classé"
OTHER_FAMILY = "Autres sujets"
MODEL_FORMAT = "feedback-nlp-theme-model/1"
#: Opinion units that name no subject ("Très bien", "Parfait", "Je recommande"), with a
#: subject-based embedding: reported apart from the themes, never spread over them.
GENERAL_ID = -2
GENERAL_LABEL = "Satisfaction générale (sans sujet précis)"
GENERAL_FAMILY = "Satisfaction générale"
