"""Street addresses in Norwegian, Swedish and Danish form (and the common English one).

A street is a name ending in a street word ("Storgata", "Drottninggatan", "Vesterbrogade", "Sveavägen")
or a few capitalised words followed by a separate street word ("Karl Johans gate", "Bygdøy allé",
"H.C. Andersens Boulevard"), then a house number with an optional letter, entrance, floor or flat
("12B", "4, 2. th.", "7 lgh 1102", "5 H0301"), then optionally a postcode and a town ("0155 Oslo",
"111 22 Stockholm", "1620 København V"). A name with no street word still counts when a postcode and
town follow the number ("Nyhavn 17, 1051 København K"). One compiled regex does all of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tillit.pii.kinds import Finding, Kind

_L = "A-Za-zÆØÅÄÖÜÉæøåäöüéèáóúíñç"
_U = "A-ZÆØÅÄÖÜÉ"
# Street words that end a compound name (Storgata) -- also allowed as a separate word (Karl Johans gate).
_SUFFIXES = [
    "gata",
    "gaten",
    "gate",
    "gatan",
    "gade",
    "gaden",
    "veien",
    "vegen",
    "vei",
    "veg",
    "vej",
    "vejen",
    "vägen",
    "väg",
    "allé",
    "alle",
    "allèen",
    "alléen",
    "allén",
    "plass",
    "plassen",
    "plads",
    "pladsen",
    "torg",
    "torget",
    "torv",
    "torvet",
    "stien",
    "stigen",
    "bakken",
    "backen",
    "liden",
    "åsen",
    "brygge",
    "brygga",
    "bryggen",
    "bryggan",
    "kaia",
    "kajen",
    "kaj",
    "terrasse",
    "terrassen",
    "ringen",
    "svingen",
    "tunet",
    "løkka",
    "løkken",
    "stredet",
    "strædet",
    "stræde",
    "gränd",
    "gränden",
    "smuget",
    "kroken",
    "grenda",
    "myra",
    "leden",
    "stråket",
    "slingan",
    "gången",
    "promenaden",
    "boulevard",
    "boulevarden",
    "vænget",
    "vænge",
    "toften",
    "haven",
    "parken",
    "kvartal",
    "engen",
    "marken",
    "kvarter",
    "esplanaden",
    "hagen",
    "vangen",
    "jordet",
    "tråkket",
    "plan",
]
_SEPARATE = [
    "gate",
    "gata",
    "gade",
    "gatan",
    "vei",
    "veg",
    "vej",
    "väg",
    "vägen",
    "allé",
    "alle",
    "plass",
    "plads",
    "torg",
    "torv",
    "stræde",
    "gränd",
    "boulevard",
    "street",
    "road",
    "avenue",
]
_EXCLUDED_PREFIX = (
    r"(?!(?:riks|fylkes|europa|motor|kommune|privat|gang|sykkel|bil|jern|fly)(?:vei|veg|vej|väg))"
)

_SUFFIX_ALT = "|".join(sorted(_SUFFIXES, key=len, reverse=True))
_SEPARATE_ALT = "|".join(sorted(_SEPARATE, key=len, reverse=True))
_NOT_STREET_START = (
    r"(?![\w]*(?:adresse|adress|address|Adresse|Adress|Address)[\w]*\b)"
    r"(?!(?:Hei|Hej|Hi|Hello|Jeg|Jag|Vi|Bor|Min|Mitt|Mit|Til|Till|På|"
    r"Fra|Från|Send|Skicka|Levering|Leveres|Address|My|New|The|Please|Ring|Kan|Vil|Takk|Tack|Tak|Postadresse|"
    r"Besøksadresse|Leveringsadresse|Fakturaadresse|Det|Den|Er|Är|Og|Och|I|Is|At|In|To|Hos|Ved|Vid)\b)"
)
_CAPWORD = rf"(?:{_NOT_STREET_START}[{_U}][{_L}'’]*\.?|[{_U}]\.(?:[{_U}]\.)*)"
_STREET = (
    rf"(?:{_NOT_STREET_START}{_EXCLUDED_PREFIX}[{_L}][{_L}-]*?(?:{_SUFFIX_ALT})"  # compound: Storgata, strandvejen  # noqa: E501
    rf"|(?:{_CAPWORD}[ \u00a0]){{1,3}}(?i:{_SEPARATE_ALT})\.?"  # separate: Karl Johans gate
    rf"|(?:(?:Gamle|Gamla|Gammel|Gammle|Nedre|Øvre|Övre|Store|Stora|Lille|Lilla|Ny|Nye|Nya|Østre|Vestre|Søndre|Nordre|"
    rf"Norra|Södra|Östra|Västra|Nørre|Vester|Øster|Sønder|Sankt|Skt\.|St\.|Kong|Dronning|Prins|Prinsesse)"
    rf"[ \u00a0][{_U}][{_L}-]*?(?:{_SUFFIX_ALT}))"
    rf")"
)
_NUMBER = r"\d{1,4}(?:[ \u00a0]?[A-Ha-h](?![\w]))?(?:[-–]\d{1,4})?"
_UNIT = (
    r"(?:,?[ \u00a0](?:\d{1,2}\.?[ \u00a0]?(?:th|tv|mf|sal)\.?|st\.?[ \u00a0]?(?:th|tv|mf)\.?"
    r"|(?:lgh|lägenhet|leil\.?|leilighet|oppgang|opg\.?|inng\.?)[ \u00a0]?\w{1,5}|[HUKL]\d{4}|\d[ \u00a0]?tr\.?))"  # noqa: E501
)
_POSTCODE = r"(?:(?:NO|N|SE|S|DK|FI)-)?(?:\d{3}[ \u00a0]\d{2}|\d{4,5})"
_TOWN = rf"[{_U}][{_L}-]+(?:(?<=s)[ \u00a0][{_U}][{_L}-]+|[ \u00a0](?:[VKØNSC]|SV|NV|NØ|SØ)(?![\w]))?"
_POST = rf"(?:,?[ \u00a0]{_POSTCODE}[ \u00a0]{_TOWN})"

_ADDRESS_RE = re.compile(
    rf"(?<![\w])(?:{_STREET})[ \u00a0]{_NUMBER}(?![\d]){_UNIT}?{_POST}?"
    # a street name without a street word, anchored by postcode and town
    rf"|(?<![\w])(?:{_CAPWORD}[ \u00a0])?{_NOT_STREET_START}[{_U}][{_L}]+[ \u00a0]{_NUMBER}{_UNIT}?,?[ \u00a0]{_POSTCODE}"  # noqa: E501
    rf"[ \u00a0]{_TOWN}"
    # English order: 221B Baker Street
    rf"|(?<![\w])\d{{1,4}}[A-Za-z]?[ \u00a0](?:[{_U}][{_L}]+[ \u00a0]){{1,3}}(?:Street|Road|Avenue|Lane|Drive|Way)"  # noqa: E501
    rf"(?![\w])"
)


def find_addresses(text: str) -> Iterator[Finding]:
    for m in _ADDRESS_RE.finditer(text):
        start, end = m.span()
        span = m.group()
        # A lowercase compound is only accepted as a street when it is long enough to be a name.
        if span[0].islower() and len(span.split()[0]) < 7:
            continue
        yield Finding(Kind.STREET_ADDRESS, start, end, 0.85 if span[0].isupper() else 0.7)
