"""Fictional national ID numbers that pass their checksums (test data must never be real people's)."""

from __future__ import annotations

from datetime import date

from stdnum import luhn
from stdnum.fi import hetu
from stdnum.no import fodselsnummer


def fodselsnummer_for(born: date, start: int = 100) -> str:
    """A valid Norwegian fødselsnummer (11 digits) for the birth date: the first individual number from
    `start` whose check digits are both below 10 (the others are never issued)."""
    ddmmyy = born.strftime("%d%m%y")
    for individual in range(start, 500):
        base = f"{ddmmyy}{individual:03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if len(k1) != 1:
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if len(k2) != 1:
            continue
        number = base + k1 + k2
        fodselsnummer.validate(number)
        return number
    raise AssertionError("no valid fødselsnummer found")


def d_nummer_for(born: date, start: int = 100) -> str:
    """A valid Norwegian D-nummer (the day plus 40) for the birth date."""
    shifted = born.strftime("%d%m%y")
    shifted = f"{int(shifted[:2]) + 40}{shifted[2:]}"
    for individual in range(start, 500):
        base = f"{shifted}{individual:03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        k2 = fodselsnummer.calc_check_digit2(base + k1) if len(k1) == 1 else "10"
        if len(k1) == 1 and len(k2) == 1:
            return base + k1 + k2
    raise AssertionError("no valid D-nummer found")


def personnummer_for(born: date, serial: int = 123) -> str:
    """A valid Swedish personnummer in the 12-digit form YYYYMMDDNNNC."""
    ten = born.strftime("%y%m%d") + f"{serial:03d}"
    return born.strftime("%Y") + ten[2:] + luhn.calc_check_digit(ten)


def hetu_for(born: date, individual: int = 123) -> str:
    """A valid Finnish henkilötunnus (century sign '-' for the 1900s, 'A' for the 2000s)."""
    sign = "-" if born.year < 2000 else "A"
    check = hetu._calc_checksum(born.strftime("%d%m%y") + f"{individual:03d}")
    return f"{born:%d%m%y}{sign}{individual:03d}{check}"
