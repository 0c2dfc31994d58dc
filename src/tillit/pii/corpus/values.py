"""Fictional values that pass their checksums, in the formats people type them.

Everything is drawn from a seeded `random.Random`, so a corpus is reproducible from its seed. Names and
streets come partly from lists that the detector does *not* ship (`_UNSEEN_*`), so the evaluation also
measures how names outside the lists fare.
"""

from __future__ import annotations

import datetime as dt
import random

import phonenumbers
from stdnum import luhn
from stdnum.no import fodselsnummer

from tillit.pii.lexicon import COUNTRIES, _words
from tillit.pii.recognizers import checks

_UNSEEN_FIRST = [
    "Torgrim",
    "Sølvi",
    "Ingolf",
    "Gjertrud",
    "Alvhild",
    "Oddveig",
    "Ragnvald",
    "Eyvind",
    "Hjørdis",
    "Jofrid",
    "Åsmund",
    "Bergljot",
    "Tjerand",
    "Gudmund",
    "Ingebjørg",
    "Sigvald",
    "Runhild",
    "Eilev",
    "Vårin",
    "Torjus",
    "Stellan",
    "Gullan",
    "Leonore",
    "Ingemar",
    "Majvor",
    "Ragnhild",
    "Sigbritt",
    "Tyko",
    "Alrik",
    "Vibeke",
    "Thyra",
    "Henning",
    "Bodil",
    "Karsten",
    "Ejnar",
    "Gunver",
    "Ebbe",
    "Kirstine",
    "Aksel",
    "Yrsa",
    "Zainab",
    "Tomasz",
    "Bartosz",
    "Radek",
    "Chidi",
    "Anahita",
    "Darius",
    "Soraya",
    "Kenzo",
    "Mirela",
    "Dragan",
    "Ljubica",
    "Nasrin",
    "Yohannes",
    "Selam",
]
_UNSEEN_LAST = [
    "Fjellstad",
    "Kvernmo",
    "Hjelmeland",
    "Sørbø",
    "Brattli",
    "Tveiten",
    "Vassbotn",
    "Ormestad",
    "Grøtting",
    "Ulvestad",
    "Lindhagen",
    "Ekdahl",
    "Rosenqvist",
    "Sjödin",
    "Bergwall",
    "Hagström",
    "Tallroth",
    "Wennerholm",
    "Kjærsgaard",
    "Damsgaard",
    "Hvidberg",
    "Mølholm",
    "Skovbo",
    "Thorhauge",
    "Vestbjerg",
    "Nørskov",
    "Okafor",
    "Kowalewski",
    "Haddadi",
    "Tesfaye",
    "Petrović",
    "Nakashima",
    "Al-Masri",
]
_STREET_STEMS = [
    "Stor",
    "Kirke",
    "Skole",
    "Prinsens",
    "Kongens",
    "Dronning",
    "Fjord",
    "Sjø",
    "Bjørke",
    "Furu",
    "Eike",
    "Lien",
    "Myr",
    "Elve",
    "Bryggerhus",
    "Torg",
    "Drottning",
    "Kungs",
    "Vasa",
    "Sve",
    "Ring",
    "Björk",
    "Tall",
    "Ek",
    "Lin",
    "Sjö",
    "Hamn",
    "Järnväg",
    "Skol",
    "Kyrk",
    "Park",
    "Mölle",
    "Vester",
    "Nørre",
    "Øster",
    "Sønder",
    "Jernbane",
    "Strand",
    "Havne",
    "Kirke",
    "Skole",
    "Bakke",
    "Eng",
    "Mølle",
    "Nyhavns",
    "Rosen",
    "Lærke",
]
_SUFFIX_BY_LANG = {
    "nb": ["gata", "gaten", "gate", "veien", "vegen", "vei", "allé", "plass", "bakken", "stien", "brygga"],
    "sv": ["gatan", "vägen", "gränd", "torget", "backen", "stigen", "allén", "plan"],
    "da": ["gade", "vej", "vejen", "allé", "plads", "stræde", "vænget", "torv"],
}
_MULTI_STREETS = {
    "nb": [
        "Karl Johans gate",
        "Bygdøy allé",
        "Dronning Eufemias gate",
        "Gamle Drammensvei",
        "Øvre Slottsgate",
        "Sankt Olavs gate",
        "Christian Krohgs gate",
        "Kong Oscars gate",
        "Nedre Storgate",
    ],
    "sv": [
        "Östra Hamngatan",
        "Stora Nygatan",
        "Sankt Eriksgatan",
        "Lilla Torget",
        "Gamla Brogatan",
        "Norra Vallgatan",
        "Västra Storgatan",
    ],
    "da": [
        "H.C. Andersens Boulevard",
        "Gammel Kongevej",
        "Store Kongensgade",
        "Lille Strandstræde",
        "Ny Østergade",
        "Frederik VII's Gade",
        "Sankt Annæ Plads",
    ],
}
_TOWNS = {
    "nb": [
        ("0155", "Oslo"),
        ("5003", "Bergen"),
        ("7011", "Trondheim"),
        ("4006", "Stavanger"),
        ("9008", "Tromsø"),
        ("3015", "Drammen"),
        ("1607", "Fredrikstad"),
        ("8006", "Bodø"),
        ("2317", "Hamar"),
    ],
    "sv": [
        ("111 22", "Stockholm"),
        ("411 05", "Göteborg"),
        ("211 20", "Malmö"),
        ("753 10", "Uppsala"),
        ("702 11", "Örebro"),
        ("903 26", "Umeå"),
        ("58222", "Linköping"),
    ],
    "da": [
        ("1620", "København V"),
        ("8000", "Aarhus C"),
        ("5000", "Odense C"),
        ("9000", "Aalborg"),
        ("2100", "København Ø"),
        ("1850", "Frederiksberg C"),
        ("6700", "Esbjerg"),
        ("2800", "Kongens Lyngby"),
    ],
}


class Values:
    """Draws values of every kind (and of the hard negatives) from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.first = [w for c in COUNTRIES for w in _words(f"first_names_{c}.txt")]
        self.last = [w for c in COUNTRIES for w in _words(f"last_names_{c}.txt")]

    # -- helpers -------------------------------------------------------------------------------------
    def _date(self, lo: int = 1938, hi: int = 2006) -> dt.date:
        return dt.date(lo, 1, 1) + dt.timedelta(days=self.rng.randrange((hi - lo) * 365))

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def pick(self, *options: str) -> str:
        return self.rng.choice(options)

    # -- national IDs --------------------------------------------------------------------------------
    def fnr(self) -> str:
        while True:
            d = self._date()
            ind = self.rng.randrange(0, 500) if d.year < 2000 else self.rng.randrange(500, 1000)
            day = d.day + (40 if self.rng.random() < 0.1 else 0)
            body = f"{day:02d}{d.month:02d}{d.year % 100:02d}{ind:03d}"
            k1 = fodselsnummer.calc_check_digit1(body)
            if len(k1) != 1:
                continue
            k2 = fodselsnummer.calc_check_digit2(body + k1)
            if len(k2) != 1:
                continue
            num = body + k1 + k2
            if checks.no_national_id(num):
                return num if self.rng.random() < 0.75 else f"{num[:6]} {num[6:]}"

    def se_pnr(self) -> str:
        while True:
            d = self._date()
            day = d.day + (60 if self.rng.random() < 0.1 else 0)
            body = f"{d.year % 100:02d}{d.month:02d}{day:02d}{self._digits(3)}"
            num = body + luhn.calc_check_digit(body)
            if not checks.se_national_id(num):
                continue
            style = self.rng.random()
            if style < 0.5:
                return f"{num[:6]}-{num[6:]}"
            if style < 0.75:
                return f"{d.year // 100}{num[:6]}-{num[6:]}"
            if style < 0.87:
                return f"{d.year // 100}{num}"
            return num

    def cpr(self) -> str:
        while True:
            d = self._date()
            if d.year >= 2000:
                seventh = self.rng.choice("4956")
            else:
                seventh = (
                    self.rng.choice("0123") if d.year < 1937 else self.rng.choice("01234 9".replace(" ", ""))
                )
            num = f"{d.day:02d}{d.month:02d}{d.year % 100:02d}{seventh}{self._digits(3)}"
            if checks.dk_cpr(num):
                return f"{num[:6]}-{num[6:]}" if self.rng.random() < 0.7 else num

    def hetu(self) -> str:
        d = self._date()
        sign = "-" if d.year < 2000 else self.rng.choice("AB")
        ind = f"{self.rng.randrange(2, 900):03d}"
        check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[
            int(f"{d.day:02d}{d.month:02d}{d.year % 100:02d}{ind}") % 31
        ]
        return f"{d.day:02d}{d.month:02d}{d.year % 100:02d}{sign}{ind}{check}"

    # -- contact -------------------------------------------------------------------------------------
    def phone(self, lang: str) -> str:
        country = lang if self.rng.random() < 0.75 else self.rng.choice(["nb", "sv", "da", "fi"])
        while True:
            text = self._phone(country)
            digits = "".join(c for c in text if c.isdigit())
            region = {"nb": "NO", "sv": "SE", "da": "DK", "fi": "FI", "en": "NO"}[country]
            try:
                parsed = phonenumbers.parse(
                    text
                    if text.startswith("+")
                    else text.replace("00", "+", 1)
                    if text.startswith("00")
                    else digits,
                    region,
                )
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                return text

    def _phone(self, country: str) -> str:
        r = self.rng
        if country in ("nb", "en"):
            n = r.choice("49") + self._digits(7) if r.random() < 0.8 else r.choice("2357") + self._digits(7)
            return r.choice(
                [
                    f"{n[:3]} {n[3:5]} {n[5:]}",
                    f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                    n,
                    f"+47 {n[:3]} {n[3:5]} {n[5:]}",
                    f"+47{n}",
                    f"0047 {n}",
                    f"+47 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                    f"{n[:4]} {n[4:]}",
                ]
            )
        if country == "da":
            n = r.choice("2345678") + self._digits(7)
            return r.choice(
                [
                    f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                    n,
                    f"+45 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                    f"+45{n}",
                    f"+45 {n[:4]} {n[4:]}",
                    f"{n[:4]} {n[4:]}",
                ]
            )
        if country == "sv":
            if r.random() < 0.75:
                n = "7" + r.choice("02369") + self._digits(7)
                return r.choice(
                    [
                        f"0{n[:2]}-{n[2:5]} {n[5:7]} {n[7:]}",
                        f"0{n[:2]} {n[2:5]} {n[5:7]} {n[7:]}",
                        f"0{n}",
                        f"+46 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}",
                        f"+46{n}",
                        f"+46 (0){n[:2]}-{n[2:5]} {n[5:7]} {n[7:]}",
                        f"0{n[:2]}-{n[2:]}",
                    ]
                )
            n = "8" + self._digits(7)
            return r.choice([f"0{n[0]}-{n[1:4]} {n[4:6]} {n[6:]}", f"+46 {n[0]} {n[1:4]} {n[4:6]} {n[6:]}"])
        n = r.choice(["40", "41", "44", "45", "50"]) + self._digits(7)
        return r.choice(
            [f"0{n[:2]} {n[2:5]} {n[5:]}", f"+358 {n[:2]} {n[2:5]} {n[5:]}", f"0{n[:2]}-{n[2:]}", f"+358{n}"]
        )

    def person(self) -> str:
        r = self.rng
        first = r.choice(_UNSEEN_FIRST) if r.random() < 0.15 else r.choice(self.first)
        last = r.choice(_UNSEEN_LAST) if r.random() < 0.15 else r.choice(self.last)
        style = r.random()
        if style < 0.12:
            return f"{first}-{r.choice(self.first)} {last}" if "-" not in first else f"{first} {last}"
        if style < 0.22:
            return f"{first} {r.choice(self.first)} {last}"
        if style < 0.3:
            return f"{first} {last}-{r.choice(self.last)}"
        return f"{first} {last}"

    def first_name(self) -> str:
        return self.rng.choice(self.first)

    def email(self) -> str:
        r = self.rng
        f, last = r.choice(self.first).lower(), r.choice(self.last).lower()
        local = r.choice(
            [
                f"{f}.{last}",
                f"{f}{last}",
                f"{f[0]}{last}",
                f"{f}_{last}{r.randrange(10, 99)}",
                f"{f}.{last}+{r.choice(['post', 'bank', 'shop'])}",
                f"{f}{r.randrange(1950, 2005)}",
            ]
        )
        table = str.maketrans("æøåäöüé", "aoaaoue")
        local = local.translate(table).replace(" ", "").replace("'", "")
        return f"{local}@{r.choice(['example.com', 'example.org', 'example.net', 'mail.example.no', 'example.se'])}"  # noqa: E501

    def address(self, lang: str) -> str:
        r = self.rng
        lang = lang if lang in _SUFFIX_BY_LANG else r.choice(list(_SUFFIX_BY_LANG))
        if r.random() < 0.25:
            street = r.choice(_MULTI_STREETS[lang])
        else:
            street = r.choice(_STREET_STEMS) + r.choice(_SUFFIX_BY_LANG[lang])
        number = str(r.randrange(1, 180)) + (r.choice(["", "", "", "A", "B", " C", "b"]))
        unit = ""
        if lang == "da" and r.random() < 0.3:
            unit = r.choice([", 2. th.", ", 1. tv.", ", st. th.", " 3. mf."])
        elif lang == "sv" and r.random() < 0.2:
            unit = f" lgh {r.randrange(1001, 1605)}"
        elif lang == "nb" and r.random() < 0.1:
            unit = f" H0{r.randrange(1, 5)}0{r.randrange(1, 9)}"
        post = ""
        if r.random() < 0.6:
            code, town = r.choice(_TOWNS[lang])
            post = f", {code} {town}" if r.random() < 0.8 else f" {code} {town}"
        return f"{street} {number}{unit}{post}"

    # -- money ---------------------------------------------------------------------------------------
    def iban(self, lang: str) -> str:
        r = self.rng
        country = r.choice(
            ["NO", "SE", "DK", "FI", "DE", "GB", {"nb": "NO", "sv": "SE", "da": "DK"}.get(lang, "NO")]
        )
        bban = {
            "NO": lambda: "".join(c for c in self.account() if c.isdigit()),
            "SE": lambda: self._digits(20),
            "DK": lambda: self._digits(14),
            "FI": lambda: self._digits(14),
            "DE": lambda: self._digits(18),
            "GB": lambda: (
                "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + self._digits(14)
            ),
        }
        b = bban[country]()
        numeric = "".join(str(int(c, 36)) for c in b + country + "00")
        check = f"{98 - int(numeric) % 97:02d}"
        compact = country + check + b
        if r.random() < 0.3:
            return compact
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))

    def account(self) -> str:
        while True:
            body = self._digits(10)
            if body[0] == "0":
                continue
            num = body + "0"
            weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
            k = 11 - sum(int(a) * w for a, w in zip(body, weights, strict=True)) % 11
            if k == 10:
                continue
            num = body + ("0" if k == 11 else str(k))
            style = self.rng.random()
            if style < 0.6:
                return f"{num[:4]}.{num[4:6]}.{num[6:]}"
            if style < 0.85:
                return f"{num[:4]} {num[4:6]} {num[6:]}"
            return num

    def card(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.5:
            body = "4" + self._digits(14)
        elif kind < 0.85:
            body = str(r.randrange(51, 56)) + self._digits(13)
        else:
            body = r.choice(["34", "37"]) + self._digits(12)
        num = body + luhn.calc_check_digit(body)
        if len(num) == 15:
            return r.choice([f"{num[:4]} {num[4:10]} {num[10:]}", num])
        sep = r.choice([" ", " ", "-", ""])
        return sep.join(num[i : i + 4] for i in range(0, 16, 4))

    def ip(self) -> str:
        r = self.rng
        if r.random() < 0.7:
            return ".".join(
                str(x)
                for x in (
                    r.choice([10, 172, 192, 81, 84, 193, 212, 46]),
                    r.randrange(256),
                    r.randrange(256),
                    r.randrange(1, 255),
                )
            )
        groups = [f"{r.randrange(65536):x}" for _ in range(8)]
        if r.random() < 0.5:
            return "2001:db8::" + ":".join(groups[:2])
        return ":".join(groups)

    def tracking(self) -> str:
        r = self.rng
        if r.random() < 0.55:
            body = self._digits(8)
            value = 11 - sum(int(d) * w for d, w in zip(body, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
            check = 0 if value == 10 else 5 if value == 11 else value
            pre = r.choice(["RR", "LX", "CP", "EE", "UA", "RB", "LA", "CC"])
            cc = r.choice(["NO", "SE", "DK", "FI", "CN", "GB", "DE"])
            if r.random() < 0.75:
                return f"{pre}{body}{check}{cc}"
            return f"{pre} {body[:3]} {body[3:6]} {body[6:]}{check} {cc}"
        body = r.choice("0123") + r.choice(["70", "73", "57", "64"]) + self._digits(14)
        total = sum((3 if i % 2 == 0 else 1) * int(d) for i, d in enumerate(reversed(body)))
        num = body + str((10 - total % 10) % 10)
        return num if r.random() < 0.85 else "00" + num
