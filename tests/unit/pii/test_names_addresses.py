"""PERSON and STREET_ADDRESS: name lists plus context, and Nordic address forms."""

from __future__ import annotations

import pytest

from tillit.pii import Kind, find


def spans(text: str, kind: Kind, lang: str | None = None) -> list[str]:
    return [text[f.start : f.end] for f in find(text, [lang] if lang else None) if f.kind is kind]


@pytest.mark.parametrize(
    ("text", "lang", "name"),
    [
        ("Hei, jeg heter Kari Nordmann og har et spørsmål.", "nb", "Kari Nordmann"),
        ("hei jeg heter ole nordmann", "nb", "ole nordmann"),
        ("Mitt namn är Anna Lindqvist.", "sv", "Anna Lindqvist"),
        ("Jeg hedder Mette Frederiksen.", "da", "Mette Frederiksen"),
        ("My name is John Smith.", "en", "John Smith"),
        ("Mvh\nOla Hansen", "nb", "Ola Hansen"),
        ("Vänliga hälsningar, Erik Johansson", "sv", "Erik Johansson"),
        ("Med venlig hilsen Lone Mikkelsen", "da", "Lone Mikkelsen"),
        ("Regards, Torgrim Fjellstad", "en", "Torgrim Fjellstad"),  # neither name is in the lists
        ("Hei Torunn! Takk for svaret.", "nb", "Torunn"),
        ("Det gäller min mamma, Birgitta Holmberg, hon har glömt lösenordet.", "sv", "Birgitta Holmberg"),
        ("Hilsen Anne-Lise Strand", "nb", "Anne-Lise Strand"),
        ("Kontoen står på Per Olsen.", "nb", "Per Olsen"),
    ],
)
def test_person_found(text: str, lang: str, name: str) -> None:
    assert spans(text, Kind.PERSON, lang) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Per telefon er det lang ventetid.",  # per = by
        "Hans konto ble stengt.",  # hans = his
        "Liv og helse er viktigst.",  # liv = life
        "Bo og jeg er flyttet.",
        "Mark the case as urgent.",
        "Will someone call me back?",
        "Hei Telenor, fakturaen er feil.",
        "Jeg bor i Oslo og handler på IKEA.",
        "Takk for hjelpen!",
    ],
)
def test_ordinary_words_that_are_also_names_are_not_flagged(text: str) -> None:
    assert spans(text, Kind.PERSON) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Jeg bor i Storgata 15, 0184 Oslo.", "Storgata 15, 0184 Oslo"),
        ("Adressen er Karl Johans gate 22B", "Karl Johans gate 22B"),
        ("Flyttet til Fjellveien 3 H0201, 5019 Bergen.", "Fjellveien 3 H0201, 5019 Bergen"),
        ("Jag bor på Drottninggatan 45, 111 21 Stockholm.", "Drottninggatan 45, 111 21 Stockholm"),
        ("Skicka till Kungsgatan 12 lgh 1102, 411 19 Göteborg", "Kungsgatan 12 lgh 1102, 411 19 Göteborg"),
        (
            "Jeg bor på Vesterbrogade 12, 2. th., 1620 København V.",
            "Vesterbrogade 12, 2. th., 1620 København V",
        ),
        ("Leveringsadresse: H.C. Andersens Boulevard 27", "H.C. Andersens Boulevard 27"),
        ("Vi bor i Nyhavn 17, 1051 København K", "Nyhavn 17, 1051 København K"),
        ("Send it to 221B Baker Street", "221B Baker Street"),
        ("Kari Nordmanns gate 5", "Kari Nordmanns gate 5"),  # an address, not a person
    ],
)
def test_street_address_found(text: str, address: str) -> None:
    assert spans(text, Kind.STREET_ADDRESS) == [address]


@pytest.mark.parametrize(
    "text", ["Gå til gate 5", "Kjør riksvei 7 nordover", "Storgata er stengt", "Julia 3 år"]
)
def test_not_addresses(text: str) -> None:
    assert spans(text, Kind.STREET_ADDRESS) == []
