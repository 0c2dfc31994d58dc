"""What a finding is: the kinds of personal data tillit recognises and the span where one was found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Kinds of personal data. The value is the stable name used in tags, JSON and reports."""

    NO_NATIONAL_ID = "NO_NATIONAL_ID"
    SE_NATIONAL_ID = "SE_NATIONAL_ID"
    DK_CPR = "DK_CPR"
    FI_NATIONAL_ID = "FI_NATIONAL_ID"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    IBAN = "IBAN"
    NO_BANK_ACCOUNT = "NO_BANK_ACCOUNT"
    PAYMENT_CARD = "PAYMENT_CARD"
    IP_ADDRESS = "IP_ADDRESS"
    TRACKING_NUMBER = "TRACKING_NUMBER"
    PERSON = "PERSON"
    STREET_ADDRESS = "STREET_ADDRESS"


#: Kinds recognised by their digits (and a checksum where one exists): the 0.97 F2 target applies.
NUMBER_LIKE: frozenset[Kind] = frozenset(Kind) - {Kind.PERSON, Kind.STREET_ADDRESS}


@dataclass(frozen=True, slots=True)
class Finding:
    """A span `text[start:end]` judged to be personal data of `kind`, with a confidence in [0, 1]."""

    kind: Kind
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "start": self.start, "end": self.end, "score": round(self.score, 3)}
