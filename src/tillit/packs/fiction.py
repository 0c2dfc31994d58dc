"""Helpers the packs' `business.py` share to make fictional people and rows.

Every helper draws from the `random.Random` it is given, in a fixed order, so a pack's rows stay the same
for the same `now` and seed. What is particular to a pack (its names, its identity numbers, how its rows
spread over time) stays in the pack.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import phonenumbers
from stdnum import luhn

from tillit.core.clock import ensure_utc

EMAIL_DOMAIN = "example.com"
"""Reserved for documentation (RFC 2606): no fictional address can reach a real person."""

NORWEGIAN_SPELLING: Mapping[str, str] = {"æ": "ae", "ø": "o", "å": "a"}
"""How Norwegian letters are written in ASCII e-mail addresses (`Bjørn Østby` -> `bjorn.ostby`)."""

DANISH_SPELLING: Mapping[str, str] = {"æ": "ae", "ø": "oe", "å": "aa"}
"""The Danish way (`Østergård` -> `oestergaard`)."""

_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def whole_seconds_utc(now: datetime) -> datetime:
    """`now` as aware UTC in whole seconds, so generated rows compare equal after a database round trip."""
    return ensure_utc(now).replace(microsecond=0)


def days_ago(rng: random.Random, now: datetime, min_days: int, max_days: int) -> datetime:
    """A moment between `min_days` and `max_days` (plus up to a day) before `now`."""
    return now - timedelta(days=rng.randint(min_days, max_days), seconds=rng.randint(0, 86_399))


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment from `start` to `end`, in whole seconds (`start` itself if they are the same)."""
    span = max(int((end - start).total_seconds()), 1)
    return start + timedelta(seconds=rng.randint(0, span))


def draw_unique(used: set[str], make: Callable[[], str]) -> str:
    """A value from `make` that is not in `used` yet (drawn again on a clash); it is added to `used`."""
    while True:
        value = make()
        if value not in used:
            used.add(value)
            return value


def with_luhn(digits: str) -> str:
    """`digits` followed by their Luhn check digit."""
    return digits + str(luhn.calc_check_digit(digits))


def ascii_fold(text: str, spelling: Mapping[str, str] = NORWEGIAN_SPELLING) -> str:
    """Lower-case ASCII for an e-mail address: Nordic letters spelled out, other accents dropped."""
    folded = text.lower()
    for letter, spelled in spelling.items():
        folded = folded.replace(letter, spelled)
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


def ascii_slug(name: str, spelling: Mapping[str, str] = NORWEGIAN_SPELLING) -> str:
    """`Åsa Kjærgaard` -> `asa.kjaergaard`: the words of a name, folded to ASCII and joined by dots."""
    return ".".join(ascii_fold(name, spelling).split())


def example_email(first: str, last: str, used: set[str]) -> str:
    """first.last@example.com, with a number added (2, 3, ...) if the address is in `used`; adds it."""
    base = f"{ascii_fold(first)}.{ascii_fold(last)}"
    candidate, number = f"{base}@{EMAIL_DOMAIN}", 1
    while candidate in used:
        number += 1
        candidate = f"{base}{number}@{EMAIL_DOMAIN}"
    used.add(candidate)
    return candidate


def valid_mobile(make: Callable[[], str]) -> str:
    """The first candidate from `make` that `phonenumbers` accepts as a valid mobile number, in E.164."""
    while True:
        parsed = phonenumbers.parse(make(), None)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _MOBILE_TYPES:
            return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def norwegian_mobile_candidate(rng: random.Random) -> str:
    """+47 and eight digits starting with 4 or 9 (Norway's mobile ranges); not always a valid number."""
    return f"+47{rng.choice('49')}{rng.randint(0, 9_999_999):07d}"


def mobile_number(
    rng: random.Random, calling_code: str, prefixes: tuple[str, ...], national_length: int
) -> str:
    """A valid mobile number in E.164: `calling_code`, one of `prefixes` and random digits up to
    `national_length` digits in the national number."""

    def candidate() -> str:
        prefix = rng.choice(prefixes)
        rest = "".join(str(rng.randint(0, 9)) for _ in range(national_length - len(prefix)))
        return calling_code + prefix + rest

    return valid_mobile(candidate)
