"""Shipment numbers: the UPU S10 item identifier and the GS1 SSCC, with their check digits.

The notice says the shipment number is the only personal data the chatbot needs, so the bot, the PII
detector and the demo data must agree on what a valid one looks like. Both formats carry a check digit;
validating it lets the bot tell a typo ("check the number again") from an unknown shipment.

- S10 (UPU standard S10): two letters for the service (`CP` parcel, `RR` registered letter, `EE` EMS),
  eight serial digits, one check digit (weights 8 6 4 2 3 5 9 7, modulus 11), the ISO country code of the
  posting operator, e.g. `RR123456785NO`. python-stdnum has no S10 module, hence this one.
- SSCC (GS1 Serial Shipping Container Code): 18 digits, the last a GS1 modulus-10 check digit (the same
  algorithm as EAN/GTIN, which `stdnum.ean.calc_check_digit` computes for any length).
"""

from __future__ import annotations

import re

from stdnum import ean

S10_WEIGHTS: tuple[int, ...] = (8, 6, 4, 2, 3, 5, 9, 7)
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_SSCC = re.compile(r"^\d{18}$")


def s10_check_digit(serial: str) -> str:
    """The S10 check digit of an 8-digit serial number (11 - weighted sum mod 11; 10 -> 0, 11 -> 5)."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"an S10 serial number has 8 digits, got '{serial}'")
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    if check == 10:
        return "0"
    if check == 11:
        return "5"
    return str(check)


def make_s10(service: str, serial: str, country: str) -> str:
    """An S10 identifier such as `CP123456785NO` from its parts."""
    return f"{service.upper()}{serial}{s10_check_digit(serial)}{country.upper()}"


def compact(number: str) -> str:
    """Customers type `rr 123 456 785 no` or `3701-2345...`: drop spaces and dashes, upper-case letters."""
    return re.sub(r"[\s\-]", "", number).upper()


def is_valid_s10(number: str) -> bool:
    match = _S10.match(compact(number))
    return match is not None and s10_check_digit(match.group(2)) == match.group(3)


def make_sscc(extension: int, company_prefix: str, serial_reference: str) -> str:
    """An 18-digit SSCC: extension digit, GS1 company prefix and serial reference (17 digits) + check."""
    body = f"{extension}{company_prefix}{serial_reference}"
    if len(body) != 17 or not body.isdigit():
        raise ValueError(f"an SSCC has 17 digits before its check digit, got '{body}'")
    return body + str(ean.calc_check_digit(body))


def is_valid_sscc(number: str) -> bool:
    digits = compact(number)
    return bool(_SSCC.match(digits)) and ean.calc_check_digit(digits[:-1]) == digits[-1]


def is_valid_shipment_number(number: str) -> bool:
    """A shipment number in either format the pack uses."""
    return is_valid_s10(number) or is_valid_sscc(number)
