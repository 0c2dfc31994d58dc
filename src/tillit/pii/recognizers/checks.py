"""Checksum and plausibility tests for number-like personal data.

Each function takes digits only (separators already removed) and answers yes or no without raising, so
the recognisers can try several interpretations of one digit run cheaply. Where python-stdnum has the
algorithm it is used; Swedish samordningsnummer (day + 60), UPU S10 and SSCC are written here because
stdnum does not cover them.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress

from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.dk import cpr as _cpr
from stdnum.fi import hetu as _hetu
from stdnum.no import fodselsnummer as _fnr
from stdnum.no import kontonr as _kontonr
from stdnum.no import orgnr as _orgnr

_TODAY = _dt.date.today()


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check, used by cards, Swedish personnummer and many KID numbers."""
    return bool(_luhn.is_valid(digits))


def valid_date(year: int, month: int, day: int) -> bool:
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


def no_national_id(digits: str) -> bool:
    """Fødselsnummer or D-nummer: both mod 11 check digits and a real birth date in the past."""
    return len(digits) == 11 and bool(_fnr.is_valid(digits))


def no_account(digits: str) -> bool:
    """Norwegian account number: 11 digits, mod 11 over the first ten (weights 5,4,3,2,7,6,5,4,3,2)."""
    return len(digits) == 11 and bool(_kontonr.is_valid(digits))


def no_org(digits: str) -> bool:
    """Norwegian organisation number (9 digits, mod 11, starts with 8 or 9): not personal data."""
    return len(digits) == 9 and digits[0] in "89" and bool(_orgnr.is_valid(digits))


def se_national_id(digits: str, plus: bool = False) -> bool:
    """Personnummer or samordningsnummer (day + 60), 10 or 12 digits, Luhn over the last ten.

    stdnum rejects samordningsnummer (its date check fails on day 61-91), so the date is checked here.
    """
    if len(digits) == 12:
        year, rest = int(digits[:4]), digits[2:]
        if not 1800 <= year <= _TODAY.year:
            return False
    elif len(digits) == 10:
        rest = digits
        yy = int(digits[:2])
        century = _TODAY.year // 100 - (1 if yy > _TODAY.year % 100 else 0) - (1 if plus else 0)
        year = century * 100 + yy
    else:
        return False
    month, day = int(rest[2:4]), int(rest[4:6])
    if day > 60:
        day -= 60
    if not valid_date(year, month, day) or _dt.date(year, month, day) > _TODAY:
        return False
    return luhn_ok(rest)


def dk_cpr(digits: str) -> bool:
    """CPR: a real birth date (century from the 7th digit), not in the future. No modulus 11 (since 2007)."""
    if len(digits) != 10:
        return False
    try:
        return bool(_cpr.get_birth_date(digits) <= _TODAY)
    except Exception:  # stdnum raises its own ValidationError subclasses or ValueError
        return False


def dk_cpr_mod11(digits: str) -> bool:
    """The pre-2007 CPR modulus 11 check: evidence, not a requirement."""
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def fi_national_id(text: str) -> bool:
    """Henkilötunnus with century sign (+, -, A-F, U-Y) and mod 31 check character."""
    return bool(_hetu.is_valid(text.upper()))


def iban_ok(compact: str) -> bool:
    return bool(_iban.is_valid(compact))


_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_ok(compact: str) -> bool:
    """UPU S10: two letters, eight digits, a mod 11 check digit, an ISO country code."""
    if len(compact) != 13:
        return False
    body, check = compact[2:10], compact[10]
    if not (body.isdigit() and check.isdigit()):
        return False
    value = 11 - sum(int(d) * w for d, w in zip(body, _S10_WEIGHTS, strict=True)) % 11
    expected = 0 if value == 10 else 5 if value == 11 else value
    return int(check) == expected


def gs1_ok(digits: str) -> bool:
    """GS1 mod 10 (weights 3,1 from the right) as used by SSCC, GTIN and GLN."""
    body, check = digits[:-1], digits[-1]
    total = sum((3 if i % 2 == 0 else 1) * int(d) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(check)


def card_prefix_ok(digits: str) -> bool:
    """Issuer prefixes of the card schemes seen in the Nordics, with their lengths."""
    n = len(digits)
    first2 = int(digits[:2])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= first2 <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return n == 16
    if first2 in (34, 37):
        return n == 15
    if first2 in (36, 38, 30):
        return n in (14, 16)
    if first2 == 35:
        return n in (16, 19)
    if first2 in (60, 62, 64, 65, 50, 56, 57, 58, 63, 67, 68, 69):
        return 12 <= n <= 19
    return False


def ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def looks_like_date(groups: list[str]) -> bool:
    """Digit groups that read as a calendar date (2024-03-15, 15.03.2024, 15 03 2024, 20240315)."""
    if len(groups) == 3:
        a, b, c = groups
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
            return valid_date(int(a), int(b), int(c))
        if len(a) <= 2 and len(b) <= 2 and len(c) in (2, 4):
            year = int(c) if len(c) == 4 else 2000 + int(c)
            return valid_date(year, int(b), int(a)) or valid_date(year, int(a), int(b))
        return False
    if len(groups) == 1 and len(groups[0]) == 8:
        d = groups[0]
        return (1900 <= int(d[:4]) <= 2100 and valid_date(int(d[:4]), int(d[4:6]), int(d[6:]))) or (
            1900 <= int(d[4:]) <= 2100 and valid_date(int(d[4:]), int(d[2:4]), int(d[:2]))
        )
    return False
