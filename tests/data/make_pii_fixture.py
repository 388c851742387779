"""Write tests/data/pii_fr.csv: a labelled, SYNTHETIC set of French PII in sentences.

    python tests/data/make_pii_fixture.py

Every value is made up (fake names, numbers built from seeded random digits, IBANs, card
numbers, NIR keys, SIRET/SIREN with valid checksums so that format checks cannot help).
Sentences are hand-written templates in the style of customer comments; they are not
real reviews. The rows marked ``origin=hand-written`` are written out in full below
(HAND_WRITTEN, CLEAN_HARD): real-format edge cases and clean sentences made to look like
PII (capitals, product codes, tyre sizes, dates); ``origin=generated`` rows come from
the seeded templates.
Columns: ``kind`` (email, mobile, landline, intl, iban, card, address, order, name, nir,
siret, siren, passport, plate, clean), ``value`` (the PII substring; empty for clean
sentences), ``sentence``, ``origin``.
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


# Real-format edge cases, written by hand (values made up).
HAND_WRITTEN = [
    # NIR from the issue report: wrong key, still masked as a whole (no birth date left).
    ("nir", "1 85 05 78 006 084 36", "Mon numéro de sécu 1 85 05 78 006 084 36 a été refusé."),
    ("nir", "2 69 05 49 588 157 80", "Carte vitale 2 69 05 49 588 157 80 jamais reçue"),
    ("nir", "185052A00608435", "NIR 185052A00608435 saisi deux fois par le conseiller"),
    ("nir", "1 85 05 78 006 084", "Sans la clé : 1 85 05 78 006 084, merci de corriger"),
    ("siret", "732 829 320 00074", "Facture au nom de ma société, SIRET 732 829 320 00074."),
    ("siren", "732 829 320", "Mon entreprise (SIREN 732 829 320) attend le remboursement."),
    ("siren", "552100554", "RCS Paris 552100554 : aucune réponse du service pro."),
    ("passport", "05CK89324", "Dossier visa avec un passeport N°05CK89324, toujours bloqué."),
    ("plate", "FA-702-RZ", "Véhicule immatriculé FA-702-RZ, sinistre déclaré en mars."),
    ("plate", "DM 787 ZG", "J'ai déposé ma Clio DM 787 ZG au garage lundi."),
    ("plate", "AY134GL", "Certes, cette Clio AY134GL est assurée chez vous depuis 2019."),
    ("plate", "3823 VT 73", "Ma voiture immatriculée 3823 VT 73 est toujours au garage."),
    ("iban", "FR76 3000 6000 0112 3456 7890 189", "IBAN FR76 3000 6000 0112 3456 7890 189 pour le virement."),
    ("iban", "DE89 3704 0044 0532 0130 00", "Remboursez sur DE89 3704 0044 0532 0130 00 svp"),
]
# Clean sentences made to look like PII (hand-written): none of them may be altered.
CLEAN_HARD = [
    "LIVRAISON PRÉVUE ENTRE LE 20 ET 21, TOUJOURS RIEN.",
    "NOTE 10 SUR 10 POUR LE SAV.",
    "Scooter DE 300 CC livré sans rétroviseur.",
    "VÉHICULE PLUS PUISSANT DE 200 CV, ASSURANCE EN HAUSSE.",
    "Cartouches HP301XL reçues en 48 h, très bonne qualité.",
    "Windows 10 PRO 64 bits installé gratuitement.",
    "Réponse reçue le 04 OCT 17 seulement.",
    "Pneus 205/55 R16 91V Michelin montés en 1 h.",
    "Michelin XZX 145 SR 15 commandés, livrés en 3 jours.",
    "RTX 3080 livrée en 2 jours, emballage parfait.",
    "iPhone 15 Pro 256 Go reçu neuf.",
    "Forfait 5G 100 Go à 15,99 € par mois.",
    "Code postal 75011 mais colis livré à Lyon.",
    "Colis en point relais depuis le 3/12/2023.",
    "Tarif passé de 1 200 € à 1 350 € en 2024.",
    "Version 2.3.1 de l'appli toujours buggée.",
    "Rendez-vous à 14h30 le 12.05.2024, personne.",
    "Article 12 du contrat non respecté.",
    "Bonus de 0,50 depuis 2015 et prime en hausse.",
    "A4 TDI 150 CV en parfait état après révision.",
    "Peugeot 308 SW de 2019 réparée en 10 jours.",
    "Clio 4 de 2016, 85 000 km, moteur changé.",
    "Carte SD 128 GB défectueuse au bout de 2 mois.",
    "Télé 55 pouces 4K reçue rayée.",
    "Frigo 250 L classe A++ livré au 4e étage.",
    "Livraison le 24/12 entre 8 h et 13 h.",
    "Train TGV 6612 annulé, aucune compensation.",
    "Remboursement de 1 234,56 € après 3 relances.",
    "Batterie 12V 70Ah changée sous garantie.",
    "Référence produit ABC-123 introuvable sur le site.",
    "PNEU ECLATÉ AU BOUT DE 160 KM, DÉÇUE.",
    "DÉLAI ENTRE 48 ET 72 H ANNONCÉ, 10 JOURS RÉELS.",
    "Chambre 1204 au 12e étage, vue dégagée.",
    "Paiement en 3 fois sans frais sur 1 500 €.",
    "Taille 42 EU trop petite, échange en 5 jours.",
    "Console PS5 825 Go reçue le 15/11/2023.",
    "Lot de 6 x 1,5 L livré avec 2 bouteilles cassées.",
    "Hausse de 12,5 % pour 2020 ET 6 % en 2021.",
    "Vol AF 1234 retardé de 3 h, bagage perdu.",
    "Contrat habitation T3 de 65 m2 à 18 € par mois.",
    "Écran 27 pouces 144 Hz, 1 pixel mort.",
    "Modèle XR 500 livré sans notice.",
    "Cuve de 1000 L installée en 2 h.",
    "Commande passée le 01/02/2024 à 23h59.",
    "Prix au kilo : 12,90 € contre 9,90 € en magasin.",
    "Colis de 30 kg livré au 3e sans ascenseur.",
    "Délai de 15 jours ouvrés pour 2 pièces.",
    "Réparation à 450 € HT, devis à 380 € HT.",
    "Appelé 5 fois entre 9h et 12h, 40 min d'attente.",
    "En 2022, 2023 et 2024 : toujours les mêmes retards.",
    "Assurance auto 2 roues 125 cm3 à 25 € par mois.",
    "Lave-linge 8 kg 1400 tours, bruyant.",
    "SSD 1 To livré en 24 h.",
    "Notre 2e commande de 3 articles est arrivée incomplète.",
    "Le 18/06, 3 produits sur 5 reçus.",
    "Plaque de cuisson 4 feux à 299 €.",
    "Enfant de 8 ans, billet à 12 €.",
    "Mon véhicule de 2018 a 120 000 km.",
    "Immatriculation faite en 3 jours, carte grise reçue.",
    "Casque JBL 760 NC reçu sans câble.",
    "Note globale 4,5/5 sur 120 avis.",
    "Page 3 du contrat, alinéa 2.",
    "Colis 2 sur 3 reçu le 9, le 3e le 14.",
    "Box internet 1 Gb/s mais 300 Mb/s réels.",
    "Samsung A52 128 Go, écran changé en 7 jours.",
    "Tarif de 89 € TTC pour 2 heures de main d'œuvre.",
    "LIVRÉ LE 12 AU LIEU DU 5, 7 JOURS DE RETARD.",
    "Aspirateur V15 reçu avec une batterie HS.",
    "Station 24/24 7/7, très pratique.",
    "Client depuis 1998, 3 contrats chez vous.",
    "Sac de 25 kg de ciment livré éventré.",
    "Numéro vert 0 800 gratuit, attente 20 min.",
    "Vitesse 130 km/h max sur autoroute, panne à 90 km/h.",
    "Pointure 38 en stock, 39 en rupture.",
    "Mise à jour 14.2 installée, bug corrigé.",
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


def _nir(rng: random.Random) -> str:
    body = (rng.choice("12") + f"{rng.randint(0, 99):02d}" + f"{rng.randint(1, 12):02d}"
            + f"{rng.randint(1, 95):02d}" + f"{rng.randint(1, 990):03d}" + f"{rng.randint(1, 999):03d}")
    return body + f"{97 - int(body) % 97:02d}"


def _siret(rng: random.Random) -> str:
    siren = _luhn_complete(rng.choice("3456789") + _digits(rng, 7))
    return _luhn_complete(siren + _digits(rng, 4))


_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"
_NOT_PAIRS = {"DE", "LE", "LA", "EN", "ET", "CE", "SE", "NE", "ME", "TE", "SA", "MA", "TA", "ES",
              "CV", "CC", "KM", "KG", "CM", "MM", "MN", "HT", "TT", "PM", "AM", "GB", "MB", "KW",
              "MG", "ML", "XL", "XS", "HP"}


def _pair(rng: random.Random) -> str:
    while True:
        pair = rng.choice(_PLATE_LETTERS) + rng.choice(_PLATE_LETTERS)
        if pair not in _NOT_PAIRS:
            return pair


def more_values(rng: random.Random) -> list[tuple[str, str]]:
    """The kinds added with the NIR / SIRET / passport / plate masks (issue 18)."""
    out: list[tuple[str, str]] = []
    for idx in range(25):
        nir = _nir(rng)
        parts = [nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]]
        out.append(("nir", " ".join(parts) if idx % 2 == 0 else nir))
    for idx in range(15):
        siret = _siret(rng)
        out.append(("siret", f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if idx % 2 else siret))
    for _ in range(15):
        out.append(("passport", _digits(rng, 2) + rng.choice(_PLATE_LETTERS) + rng.choice(_PLATE_LETTERS)
                    + _digits(rng, 5)))
    for idx in range(20):
        sep = ("-", " ", "")[idx % 3]
        out.append(("plate", _pair(rng) + sep + _digits(rng, 3) + sep + _pair(rng)))
    return out


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
    more = random.Random(SEED + 1)  # a second stream: the rows above stay as they were
    for idx, (kind, value) in enumerate(more_values(more)):
        template = TEMPLATES[idx % len(TEMPLATES)]
        rows.append({"kind": kind, "value": value, "sentence": template.format(v=value)})
    for row in rows:
        row["origin"] = "generated"
    for kind, value, sentence in HAND_WRITTEN:
        rows.append({"kind": kind, "value": value, "sentence": sentence, "origin": "hand-written"})
    for sentence in CLEAN:
        rows.append({"kind": "clean", "value": "", "sentence": sentence, "origin": "hand-written"})
    for sentence in CLEAN_HARD:
        rows.append({"kind": "clean", "value": "", "sentence": sentence, "origin": "hand-written"})
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["kind", "value", "sentence", "origin"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows written to {OUT}")


if __name__ == "__main__":
    main()
