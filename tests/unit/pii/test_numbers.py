"""Number-like kinds: true positives in several formats and languages, and the hard negatives.

All numbers are fictional; those meant as positives were generated to pass their checksums.
"""

from __future__ import annotations

import itertools

import pytest

from tillit.pii import Kind, find
from tillit.pii.recognizers import checks

FNR = "19106614000"
FNR2 = "03028008057"
DNR = "68098006188"
ACCOUNT = "25123937042"
SE_PNR = "6811237475"
CPR = "1408769773"
HETU = "220547-637W"
VISA = "4863353861408319"


def kinds(text: str, lang: str | None = None) -> list[tuple[Kind, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find(text, [lang] if lang else None)]


def test_fixture_numbers_are_what_they_claim() -> None:
    assert checks.no_national_id(FNR) and checks.no_national_id(DNR)
    assert checks.no_account(ACCOUNT) and not checks.no_national_id(ACCOUNT)
    assert checks.se_national_id(SE_PNR) and checks.dk_cpr(CPR) and checks.fi_national_id(HETU)
    assert checks.luhn_ok(VISA)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (f"Fødselsnummeret mitt er {FNR}.", "nb", (Kind.NO_NATIONAL_ID, FNR)),
        (f"fnr: {FNR[:6]} {FNR[6:]}", "nb", (Kind.NO_NATIONAL_ID, f"{FNR[:6]} {FNR[6:]}")),
        (f"D-nummer {DNR}", "nb", (Kind.NO_NATIONAL_ID, DNR)),
        (f"My Norwegian ID is {FNR2}", "en", (Kind.NO_NATIONAL_ID, FNR2)),
        (f"Mitt personnummer är {SE_PNR[:6]}-{SE_PNR[6:]}", "sv", (Kind.SE_NATIONAL_ID, f"{SE_PNR[:6]}-{SE_PNR[6:]}")),  # noqa: E501
        (f"personnummer 19{SE_PNR[:6]}-{SE_PNR[6:]}", "sv", (Kind.SE_NATIONAL_ID, f"19{SE_PNR[:6]}-{SE_PNR[6:]}")),  # noqa: E501
        (f"pnr 19{SE_PNR}", "sv", (Kind.SE_NATIONAL_ID, f"19{SE_PNR}")),
        (f"Mit CPR-nummer er {CPR[:6]}-{CPR[6:]}", "da", (Kind.DK_CPR, f"{CPR[:6]}-{CPR[6:]}")),
        (f"cpr {CPR}", "da", (Kind.DK_CPR, CPR)),
        (f"Henkilötunnus {HETU}", None, (Kind.FI_NATIONAL_ID, HETU)),
        ("Ring meg på 912 34 567", "nb", (Kind.PHONE, "912 34 567")),
        ("tlf +47 22 33 44 55", "nb", (Kind.PHONE, "+47 22 33 44 55")),
        ("Ring mig på 070-123 45 67", "sv", (Kind.PHONE, "070-123 45 67")),
        ("Mitt nummer är +46 (0)70-123 45 67", "sv", (Kind.PHONE, "+46 (0)70-123 45 67")),
        ("Mit nummer er 20 12 34 56", "da", (Kind.PHONE, "20 12 34 56")),
        ("call +358 40 123 4567", "en", (Kind.PHONE, "+358 40 123 4567")),
        ("mail kari.nordmann@example.com nå", "nb", (Kind.EMAIL, "kari.nordmann@example.com")),
        ("IBAN NO36 1072 4638 231", "nb", (Kind.IBAN, "NO36 1072 4638 231")),
        ("IBAN SE33 4840 1877 1803 3738 7464", "sv", (Kind.IBAN, "SE33 4840 1877 1803 3738 7464")),
        ("IBAN DK4295138071710956", "da", (Kind.IBAN, "DK4295138071710956")),
        (f"Kontonummer {ACCOUNT[:4]}.{ACCOUNT[4:6]}.{ACCOUNT[6:]}", "nb",
         (Kind.NO_BANK_ACCOUNT, f"{ACCOUNT[:4]}.{ACCOUNT[4:6]}.{ACCOUNT[6:]}")),
        (f"konto {ACCOUNT[:4]} {ACCOUNT[4:6]} {ACCOUNT[6:]}", "nb",
         (Kind.NO_BANK_ACCOUNT, f"{ACCOUNT[:4]} {ACCOUNT[4:6]} {ACCOUNT[6:]}")),
        (f"Kort {VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}", "nb",
         (Kind.PAYMENT_CARD, f"{VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}")),
        ("card 5186-1793-7541-8826", "en", (Kind.PAYMENT_CARD, "5186-1793-7541-8826")),
        ("amex 3444 351292 21217", "en", (Kind.PAYMENT_CARD, "3444 351292 21217")),
        ("fra 84.210.33.17 i går", "nb", (Kind.IP_ADDRESS, "84.210.33.17")),
        ("från 2001:db8:85a3::8a2e:370:7334", "sv", (Kind.IP_ADDRESS, "2001:db8:85a3::8a2e:370:7334")),
        ("Sporing UA671412765CN", "nb", (Kind.TRACKING_NUMBER, "UA671412765CN")),
        ("Sporing UA 671 412 765 CN", "nb", (Kind.TRACKING_NUMBER, "UA 671 412 765 CN")),
        ("SSCC 270486644587387104", "en", (Kind.TRACKING_NUMBER, "270486644587387104")),
    ],
)  # fmt: skip
def test_true_positives(text: str, lang: str | None, expected: tuple[Kind, str]) -> None:
    assert kinds(text, lang) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Organisasjonsnummer 819 073 538",
        "Org.nr. 819073538 MVA",
        "Organisationsnummer 556130-2562",
        "CVR 61078541",
        "Ordrenummer 48213377",
        "Order 98765432 has not arrived",
        "Faktura 2024-118342 forfaller snart",
        "KID 52465760759809112",
        "KID: 4863353861408319",
        "Kundenummer 4471203, saksnummer 2025-00917",
        "Beløpet er 12 345 678 kr",
        "kr 1 234,50 ble trukket",
        "Det kostet NOK 45 000",
        "Møtet er 15.03.2024 kl. 14:30",
        "Leveres 2024-03-15",
        "Versjon 4.12.0.1 krasjer",
        "Tallet 05095705982 ble avvist",  # fails both fnr check digits and mod 11
        "Kortet 4402 7024 7415 2590 ble avvist",  # fails Luhn: not a card, and not two phone numbers
        "IBAN NO37 1072 4638 231",  # wrong IBAN check digits
        "Sporing UA671412766CN",  # wrong S10 check digit
        "Det er 3 pakker og postnummer 0155",
    ],
)
def test_hard_negatives_are_not_flagged(text: str) -> None:
    assert kinds(text) == []


def test_fnr_is_also_a_valid_account_number_by_checksum() -> None:
    assert checks.no_national_id(FNR) and checks.no_account(FNR)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"Fødselsnummer {FNR}", Kind.NO_NATIONAL_ID),  # plain 11 digits, ID context
        (f"Kontonummer {FNR}", Kind.NO_BANK_ACCOUNT),  # same digits, account context
        (f"Betal til {FNR[:4]}.{FNR[4:6]}.{FNR[6:]}", Kind.NO_BANK_ACCOUNT),  # account grouping wins
        (f"{FNR[:6]} {FNR[6:]}", Kind.NO_NATIONAL_ID),  # birth-date grouping
        (f"Jeg sendte {FNR}", Kind.NO_NATIONAL_ID),  # no context: the more sensitive reading
        (f"Jeg sendte {ACCOUNT}", Kind.NO_BANK_ACCOUNT),  # not a valid fnr: account by mod 11
    ],
)
def test_fnr_and_account_told_apart_by_format_and_context(text: str, kind: Kind) -> None:
    assert [f.kind for f in find(text, ["nb"])] == [kind]


def test_se_and_dk_ten_digit_ids_told_apart_by_context_and_language() -> None:
    both = next(  # a ten-digit number valid both as personnummer and as CPR
        d for d in (f"{d:02d}0{m}{y:02d}{s:04d}" for d in range(1, 29) for m in range(1, 10) for y in range(10, 28)  # noqa: E501
                    for s in range(0, 10000, 37))
        if checks.se_national_id(d) and checks.dk_cpr(d)
    )  # fmt: skip
    dashed = f"{both[:6]}-{both[6:]}"
    assert [f.kind for f in find(f"CPR {dashed}")] == [Kind.DK_CPR]
    assert [f.kind for f in find(f"Mitt personnummer är {dashed}", ["sv"])] == [Kind.SE_NATIONAL_ID]
    assert [f.kind for f in find(f"Mit svenske personnummer er {dashed}", ["da"])] == [Kind.SE_NATIONAL_ID]


def test_several_numbers_in_one_digit_run_are_split() -> None:
    assert kinds("ring 912 34 567 1 gang", "nb") == [(Kind.PHONE, "912 34 567")]


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = f"Kari Nordmann, fnr {FNR}, tlf 912 34 567, kari@example.com, Storgata 1, 0155 Oslo"
    found = find(text, ["nb"])
    assert [f.kind for f in found] == [
        Kind.PERSON,
        Kind.NO_NATIONAL_ID,
        Kind.PHONE,
        Kind.EMAIL,
        Kind.STREET_ADDRESS,
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert all(0 < f.score <= 1 for f in found)


def test_empty_text() -> None:
    assert find("") == []
