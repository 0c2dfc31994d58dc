"""Normalisation of identifiers: every usual spelling of one identity has one canonical form."""

from __future__ import annotations

from datetime import date

import pytest

from tests.fake_ids import d_nummer_for, fodselsnummer_for, hetu_for, personnummer_for
from tillit.core.errors import ValidationFailedError
from tillit.core.identifiers import national_id_country, normalise, spellings, try_normalise

FNR = fodselsnummer_for(date(1985, 3, 15))


@pytest.mark.parametrize("raw", [" Ola@Example.COM ", "ola@example.com", "OLA@EXAMPLE.COM\n"])
def test_email_trimmed_and_lower_cased(raw: str) -> None:
    assert normalise("email", raw) == "ola@example.com"


@pytest.mark.parametrize("raw", ["ola", "ola@", "@example.com", "ola@example", "o la@example.com"])
def test_invalid_email(raw: str) -> None:
    with pytest.raises(ValidationFailedError, match="email"):
        normalise("email", raw)


@pytest.mark.parametrize("raw", ["+47 912 34 567", "91234567", "912 34 567", "0047 91234567", "+4791234567"])
def test_phone_to_e164_in_default_region(raw: str) -> None:
    assert normalise("phone", raw, default_region="NO") == "+4791234567"


def test_phone_with_country_code_ignores_default_region() -> None:
    assert normalise("phone", "+46 70-123 45 67", default_region="NO") == "+46701234567"
    assert normalise("phone", "070-123 45 67", default_region="SE") == "+46701234567"


def test_phone_without_region_needs_country_code() -> None:
    with pytest.raises(ValidationFailedError, match="no default region"):
        normalise("phone", "91234567")


def test_invalid_phone() -> None:
    with pytest.raises(ValidationFailedError, match="phone"):
        normalise("phone", "12", default_region="NO")


@pytest.mark.parametrize("spelled", [FNR, f"{FNR[:6]} {FNR[6:]}", f"{FNR[:6]}-{FNR[6:]}", f" {FNR} "])
def test_norwegian_fodselsnummer_digits_only(spelled: str) -> None:
    assert normalise("national_id", spelled, default_region="NO") == FNR


def test_norwegian_d_nummer() -> None:
    number = d_nummer_for(date(1990, 7, 1))
    assert normalise("national_id", number, default_region="NO") == number


def test_invalid_national_id_names_kind_and_country_but_not_the_value() -> None:
    broken = FNR[:-1] + str((int(FNR[-1]) + 1) % 10)
    with pytest.raises(ValidationFailedError) as excinfo:
        normalise("national_id", broken, default_region="NO")
    message = excinfo.value.message
    assert "national_id" in message
    assert "fødselsnummer" in message
    assert broken not in message
    assert excinfo.value.details["kind"] == "national_id"


def test_swedish_personnummer_ten_and_twelve_digits_agree() -> None:
    twelve = personnummer_for(date(1988, 3, 20))
    ten_with_dash = f"{twelve[2:8]}-{twelve[8:]}"
    assert normalise("national_id", ten_with_dash, default_region="SE") == twelve
    assert normalise("national_id", twelve, default_region="SE") == twelve
    assert national_id_country(twelve, "SE") == "SE"


def test_danish_cpr_and_finnish_hetu() -> None:
    assert normalise("national_id", "211062-5629", default_region="DK") == "2110625629"
    hetu = hetu_for(date(1952, 10, 13))
    assert normalise("national_id", hetu.lower(), default_region="FI") == hetu
    assert "-" in hetu  # the century sign is part of the number and kept


def test_default_region_is_tried_first_then_other_nordic_countries() -> None:
    # A Norwegian number is accepted by a Swedish organisation too (customers cross borders).
    assert normalise("national_id", FNR, default_region="SE") == FNR
    assert national_id_country(FNR, "SE") == "NO"


def test_customer_and_shipment_numbers() -> None:
    assert normalise("customer_number", "  C-1001 ") == "C-1001"
    assert normalise("shipment_number", " 7070 1234 abc ") == "70701234ABC"


def test_unknown_kind_and_empty_values() -> None:
    with pytest.raises(ValidationFailedError, match="unknown identifier kind"):
        normalise("passport", "x")
    with pytest.raises(ValidationFailedError, match="email is empty"):
        normalise("email", "   ")


def test_try_normalise_is_tolerant() -> None:
    assert try_normalise("email", None) is None
    assert try_normalise("national_id", "123", default_region="NO") is None
    assert try_normalise("customer_number", 1001) == "1001"


def test_spellings_cover_the_usual_forms() -> None:
    assert set(spellings("phone", "+4791234567")) >= {"+4791234567", "004791234567", "91234567"}
    assert "0701234567" in spellings("phone", "+46701234567")
    twelve = personnummer_for(date(1988, 3, 20))
    assert spellings("national_id", twelve) == [twelve, twelve[2:]]
    assert spellings("national_id", FNR, default_region="NO") == [FNR]
