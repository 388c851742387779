"""Write tests/data/pii_fr.csv: a labelled, SYNTHETIC set of French PII in sentences.

    python tests/data/make_pii_fixture.py

Every value is made up (fake names, numbers built from seeded random digits, IBANs and
card numbers with valid checksums so that format checks cannot help). Sentences are
hand-written templates in the style of customer comments; they are not real reviews.
Columns: ``kind`` (email, mobile, landline, intl, iban, card, address, order, name, clean),
``value`` (the PII substring; empty for clean sentences), ``sentence``.
"""

from __future__ import annotations

import csv
import random
import string
from pathlib import Path

SEED = 7
OUT = Path(__file__).parent / "pii_fr.csv"

TEMPLATES = [
    "Merci de me rappeler au {v} avant vendredi.",
    "Mon contact : {v}, je n'ai toujours pas de réponse du SAV.",
    "J'ai donné {v} au conseiller mais personne ne m'a recontacté",
    "Vous pouvez me joindre ({v}) pour le remboursement.",
    "{v} : c'est là que j'attends votre retour depuis 3 semaines !",
    "Livraison ratée, voici mes coordonnées {v} svp",
]
NAMES = ["jean.dupont", "marie-claire.martin", "p.durand75", "sophie_leroy", "contact+sav",
         "m.bernard", "lucas.petit2", "chloe.moreau", "a.fournier", "nina.garcia"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.fr",
           "sfr.fr", "wanadoo.fr", "outlook.com", "entreprise.co.uk"]
STREETS = ["rue de la Paix", "avenue Jean Jaurès", "boulevard Voltaire", "allée des Tilleuls",
           "impasse du Moulin", "chemin des Vignes", "place de la République", "route de Lyon",
           "quai de la Loire", "rue Victor Hugo"]
CITIES = ["75011 Paris", "69003 Lyon", "13001 Marseille", "33000 Bordeaux", "59000 Lille",
          "31000 Toulouse", "44000 Nantes", "67000 Strasbourg"]
ORDER_LABELS = ["commande n°", "commande", "numéro de commande", "dossier", "ticket #",
                "réf.", "contrat n°", "sinistre n°", "facture", "numéro de suivi"]
TITLED_NAMES = ["Mme Dupont", "M. Martin", "Monsieur Bernard", "Madame Lefèvre", "Mlle Petit",
                "M. Jean-Marc DURAND", "Mme Nathalie Moreau", "Dr Girard", "Maître Rousseau",
                "MONSIEUR FOURNIER", "Mr Garcia", "Mme D'Angelo", "Madame Chloé Roux",
                "M. Lucas", "Mademoiselle Faure", "Monsieur Ahmed Benali", "Mme LEROY",
                "Docteur Blanc", "M. N'Diaye", "Madame Da Silva"]
NAME_TEMPLATES = [
    "Merci à {v} pour son aide, dossier réglé.",
    "Je tiens à remercier {v} qui a été très à l'écoute",
    "{v} ne m'a jamais rappelé malgré ses promesses.",
    "Très bon accueil de {v} en agence.",
    "Le conseiller {v} m'a raccroché au nez !",
]
CLEAN = [
    "Livré en 3 jours pour 49,99 €, rien à redire.",
    "Commande du 12/03/2023 reçue le 15, parfait.",
    "2 pneus Michelin 205/55 R16 à 89 € pièce, montage en 1 h.",
    "Note 4/5, client depuis 10 ans.",
    "Le colis de 2,5 kg est arrivé à 8h30.",
    "Remboursé de 120 euros après 45 jours d'attente.",
    "Hausse de 15 % de ma cotisation en 2021.",
    "J'ai appelé 3 fois en 2 semaines sans réponse.",
    "Garage à 20 km, rendez-vous le 5 juin à 14h.",
    "Franchise de 300 € et délai de 30 jours.",
    "Chambre 212 au 3e étage, vue sur la tour Eiffel.",
    "Pneus 225/45 R17 94W livrés en 48h.",
    "Prix passé de 39,90 à 44,90 € par mois.",
    "Sinistre déclaré le 02/01, expert venu le 20/01.",
    "Service client joignable de 9h à 18h du lundi au vendredi.",
    "Code promo de 10 € non appliqué sur ma commande.",
    "J'ai attendu 1 h 30 au téléphone pour 5 minutes d'échange.",
    "Colis perdu, 2e envoi reçu 10 jours plus tard.",
    "Contrat auto à 52 € par mois pour 2 véhicules.",
    "3 appels, 4 mails et toujours rien.",
    "Madame la conseillère était aimable mais rien n'a bougé.",
    "Monsieur le directeur de l'agence ne répond pas.",
    "Acheté chez Mr Bricolage, livré en 2 jours.",
    "Merci Madame, merci Monsieur !",
    "Docteur en droit ou pas, le contrat est illisible.",
]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _luhn_complete(partial: str) -> str:
    for check in string.digits:
        candidate = partial + check
        total = 0
        for idx, char in enumerate(reversed(candidate)):
            digit = int(char)
            if idx % 2 == 1:
                digit = digit * 2 - 9 if digit > 4 else digit * 2
            total += digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _iban_fr(rng: random.Random) -> str:
    bban = _digits(rng, 10) + _digits(rng, 11) + _digits(rng, 2)
    numeric = int(bban + "152700")  # F=15, R=27, then "00"
    check = 98 - numeric % 97
    return f"FR{check:02d}{bban}"


def _group(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def values(rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for idx in range(30):
        out.append(("email", f"{NAMES[idx % 10]}{'' if idx < 10 else idx}@{DOMAINS[(idx * 3) % 10]}"))
    for idx in range(45):
        number = rng.choice("67") + _digits(rng, 8)
        pairs = ["0" + number[0]] + [number[i : i + 2] for i in range(1, 9, 2)]
        spelling = idx % 5
        text = {0: " ".join(pairs), 1: ".".join(pairs), 2: "".join(pairs), 3: "-".join(pairs),
                4: pairs[0] + pairs[1] + " " + " ".join(pairs[2:])}[spelling]
        out.append(("mobile", text))
    for idx in range(25):
        number = rng.choice("12345") + _digits(rng, 8)
        pairs = ["0" + number[0]] + [number[i : i + 2] for i in range(1, 9, 2)]
        out.append(("landline", (" ", ".", "")[idx % 3].join(pairs)))
    for idx in range(25):
        number = rng.choice("167") + _digits(rng, 8)
        rest = [number[i : i + 2] for i in range(1, 9, 2)]
        text = {0: "+33 " + number[0] + " " + " ".join(rest),
                1: "+33" + number,
                2: "+33 (0)" + number[0] + " " + " ".join(rest),
                3: "0033 " + number[0] + " " + " ".join(rest),
                4: "+33 " + number[0] + "." + ".".join(rest)}[idx % 5]
        out.append(("intl", text))
    for idx in range(25):
        iban = _iban_fr(rng)
        out.append(("iban", _group(iban) if idx % 2 == 0 else iban))
    for idx in range(25):
        card = _luhn_complete(rng.choice(["4", "5"]) + _digits(rng, 14))
        out.append(("card", {0: _group(card), 1: card, 2: _group(card, sep="-")}[idx % 3]))
    for idx in range(25):
        number = rng.randint(1, 180)
        suffix = " bis" if idx % 7 == 0 else ""
        city = f", {CITIES[idx % 8]}" if idx % 2 == 0 else f" {CITIES[idx % 8]}"
        out.append(("address", f"{number}{suffix} {STREETS[idx % 10]}{city}"))
    for idx in range(25):
        label = ORDER_LABELS[idx % 10]
        ref = _digits(rng, 6 + idx % 5) if idx % 3 else "CMD" + _digits(rng, 7)
        out.append(("order", f"{label} {ref}".replace("# ", "#")))
    return out


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for idx, (kind, value) in enumerate(values(rng)):
        template = TEMPLATES[idx % len(TEMPLATES)]
        rows.append({"kind": kind, "value": value, "sentence": template.format(v=value)})
    for idx, value in enumerate(TITLED_NAMES):  # after the seeded values: their rows are unchanged
        template = NAME_TEMPLATES[idx % len(NAME_TEMPLATES)]
        rows.append({"kind": "name", "value": value, "sentence": template.format(v=value)})
    for sentence in CLEAN:
        rows.append({"kind": "clean", "value": "", "sentence": sentence})
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["kind", "value", "sentence"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows written to {OUT}")


if __name__ == "__main__":
    main()
