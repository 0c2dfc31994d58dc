"""Normalisation of personal identifiers, so that every spelling of one identity compares equal.

Used where an identifier is hashed for lookup (subjects) and where it is matched against a company's own
tables, which store clear values as people typed them (datasets). Both must agree, so the rules live in
one domain-free place.

Canonical forms per kind:

- `email`: trimmed and lower-cased. (The local part is case-sensitive in theory; in practice no provider
  treats it so, and a customer who types `Ola@Example.COM` expects to be found.)
- `phone`: E.164 (`+4791234567`), parsed with `phonenumbers`; numbers without a country code are read in
  the default region (the organisation's country). Must be a valid number for its region.
- `national_id`: validated with python-stdnum in the default region first, then the other Nordic
  countries; the first that accepts the number decides. Canonical forms do not overlap between countries:
  NO fødselsnummer / D-nummer: 11 digits; SE personnummer / samordningsnummer: 12 digits (YYYYMMDDNNNN,
  the century resolved as the Swedish `-`/`+` rule says); DK CPR: 10 digits; FI henkilötunnus: the
  11-character compact form with its century sign and check character (`131052-308T`), because those
  characters are part of the number and cannot be dropped.
- `customer_number`: trimmed, otherwise as given (a company's own numbering).
- `subject_id`: trimmed (tillit's own id, used when a company stores it).
- `shipment_number`: spaces removed and upper-cased (tracking numbers are printed in groups and are not
  case-sensitive).
"""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
from stdnum.dk import cpr as dk_cpr
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fi import hetu as fi_hetu
from stdnum.no import fodselsnummer as no_fodselsnummer
from stdnum.se import personnummer as se_personnummer

from tillit.core.errors import ValidationFailedError

IDENTIFIER_KINDS: tuple[str, ...] = (
    "customer_number",
    "national_id",
    "email",
    "phone",
    "subject_id",
    "shipment_number",
)
"""Every identity kind a policy dataset may declare (`IdentityKind` in the policy schema)."""

SUBJECT_IDENTIFIER_KINDS: tuple[str, ...] = ("customer_number", "national_id", "email", "phone")
"""The kinds a subject carries as identifiers (its `subject_id` is its own primary key)."""

NATIONAL_ID_NAMES: dict[str, str] = {
    "NO": "Norwegian fødselsnummer or D-nummer",
    "SE": "Swedish personnummer",
    "DK": "Danish CPR number",
    "FI": "Finnish henkilötunnus",
}
_NORDIC_ORDER: tuple[str, ...] = ("NO", "SE", "DK", "FI")
_EMAIL_MAX = 254


def _se_canonical(value: str) -> str:
    number = se_personnummer.validate(value)
    birth = se_personnummer.get_birth_date(number)
    digits = number.replace("-", "").replace("+", "")
    return f"{birth.year:04d}{digits[-8:]}"


def _no_canonical(value: str) -> str:
    # Norwegians write "010190 12345" or "010190-12345"; neither separator is part of the number.
    return str(no_fodselsnummer.validate(value.replace("-", "").replace(".", "")))


def _dk_canonical(value: str) -> str:
    return str(dk_cpr.validate(value))


def _fi_canonical(value: str) -> str:
    return str(fi_hetu.validate(value))


_NATIONAL_ID_VALIDATORS: dict[str, Callable[[str], str]] = {
    "NO": _no_canonical,
    "SE": _se_canonical,
    "DK": _dk_canonical,
    "FI": _fi_canonical,
}


def national_id_country(value: str, default_region: str | None = None) -> str | None:
    """The country whose national ID format accepts `value` (default region first), or None."""
    for country in _countries(default_region):
        try:
            _NATIONAL_ID_VALIDATORS[country](value)
        except (StdnumValidationError, ValueError):
            continue
        return country
    return None


def _countries(default_region: str | None) -> list[str]:
    region = (default_region or "").upper()
    order = [region] if region in _NATIONAL_ID_VALIDATORS else []
    return order + [c for c in _NORDIC_ORDER if c != region]


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > _EMAIL_MAX:
        raise ValidationFailedError("email is not a valid e-mail address", details={"kind": "email"})
    return email


def normalise_phone(value: str, default_region: str | None = None) -> str:
    raw = value.strip()
    region = default_region.upper() if default_region else None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        hint = "" if raw.startswith("+") or region else " (no country code and no default region)"
        raise ValidationFailedError(
            f"phone is not a valid phone number{hint}", details={"kind": "phone"}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailedError("phone is not a valid phone number", details={"kind": "phone"})
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_national_id(value: str, default_region: str | None = None) -> str:
    countries = _countries(default_region)
    for country in countries:
        try:
            return _NATIONAL_ID_VALIDATORS[country](value)
        except (StdnumValidationError, ValueError):
            continue
    expected = NATIONAL_ID_NAMES.get((default_region or "").upper())
    what = f"a valid {expected}" if expected else "a valid Nordic national ID number"
    raise ValidationFailedError(
        f"national_id is not {what}", details={"kind": "national_id", "region": default_region}
    )


def normalise(kind: str, value: str, *, default_region: str | None = None) -> str:
    """The canonical form of `value` as an identifier of `kind`; ValidationFailedError names the kind.

    The error never repeats the value: it may be a national ID number typed into the wrong field.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailedError(f"{kind} is empty", details={"kind": kind})
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value, default_region)
    if kind == "national_id":
        return normalise_national_id(value, default_region)
    if kind in ("customer_number", "subject_id"):
        return value.strip()
    if kind == "shipment_number":
        return "".join(value.split()).upper()
    raise ValidationFailedError(
        f"unknown identifier kind '{kind}' (expected one of {', '.join(IDENTIFIER_KINDS)})",
        details={"kind": kind},
    )


def try_normalise(kind: str, value: object, *, default_region: str | None = None) -> str | None:
    """Like `normalise`, but None for a missing or invalid value (business rows hold what people typed)."""
    if value is None:
        return None
    try:
        return normalise(kind, str(value), default_region=default_region)
    except ValidationFailedError:
        return None


def spellings(kind: str, canonical: str, *, default_region: str | None = None) -> list[str]:
    """Common spellings of a canonical value once separators are stripped (see `SEPARATORS`).

    Lets a database pre-filter rows of a company table by comparing a separator-free column against these
    few strings, before the exact comparison in Python; no index on the company's table can be assumed.
    """
    if kind == "email":
        return [canonical]
    if kind == "phone":
        number = phonenumbers.parse(canonical, None)
        national_format = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        national = "".join(ch for ch in national_format if ch.isdigit())
        nsn = phonenumbers.national_significant_number(number)
        forms = [canonical, "00" + canonical[1:], canonical[1:], national, nsn]
        return list(dict.fromkeys(forms))
    if kind == "national_id":
        country = national_id_country(canonical, default_region)
        if country == "SE":
            return [canonical, canonical[2:]]
        if country == "FI":
            stripped = canonical.replace("-", "").replace("+", "")
            return list(dict.fromkeys([stripped, canonical[:6] + canonical[7:]]))
        return [canonical]
    return [canonical]


SEPARATORS: dict[str, str] = {
    "phone": " -().\u00a0/",
    "national_id": " -+.\u00a0/",
    "shipment_number": " \u00a0",
}
"""Characters a pre-filter strips from a stored value before comparing it with `spellings`."""


def describe_national_id(country: str) -> str:
    """A human name for a country's national ID, for messages ("Norwegian fødselsnummer or D-nummer")."""
    return NATIONAL_ID_NAMES.get(country.upper(), "national ID number")
