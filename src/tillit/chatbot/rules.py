"""Pure chatbot logic (no I/O, no clock): text normalisation, shipment-number extraction, the dialogue
decision after classification, the choice of the confidence threshold and the evaluation metrics.

Kept apart from the classifier and the service so that each rule is tested on its own and reads as the
behaviour it promises (e.g. "below the threshold: rephrase first, then offer a human").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from stdnum import ean

from tillit.chatbot.schemas import OUT_OF_SCOPE

# --- normalisation -------------------------------------------------------------------------------------

EMAIL_MARK = "_email_"
URL_MARK = "_url_"
TRACKING_MARK = "_tracking_"
NUMBER_MARK = "_num_"

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u", "ß": "ss", "ð": "d"})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_S10_LOOSE = re.compile(r"\b[a-z]{2}[\s-]?\d{3}[\s-]?\d{3}[\s-]?\d{3}[\s-]?[a-z]{2}\b", re.IGNORECASE)
_SSCC_LOOSE = re.compile(r"(?<![\d])(?:\d[\s-]?){17}\d(?![\d])")
_NUMBER = re.compile(r"\d+(?:[.,:/\s-]\d+)*")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Diacritics stripped the way Nordic customers type without them: `sønder` -> `sonder`,
    `får` -> `far`, `hämta` -> `hamta`, `blåbær` -> `blabaer` (so both spellings share features)."""
    text = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Lower-case, with e-mails, links, shipment numbers and other numbers replaced by placeholder
    tokens: the topic of "where is CP123456785NO" does not depend on the number, and a model that learnt
    particular numbers from the training phrases would not generalise."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _EMAIL.sub(f" {EMAIL_MARK} ", text)
    text = _URL.sub(f" {URL_MARK} ", text)
    text = _S10_LOOSE.sub(f" {TRACKING_MARK} ", text)
    text = _SSCC_LOOSE.sub(f" {TRACKING_MARK} ", text)
    text = _NUMBER.sub(f" {NUMBER_MARK} ", text)
    return _SPACES.sub(" ", text).strip()


def normalise_folded(text: str) -> str:
    """`normalise` and then `fold`: the view that matches text typed without diacritics."""
    return fold(normalise(text))


def words(text: str) -> list[str]:
    """Folded letter words, for stop-word cues."""
    return re.findall(r"[a-z]+", fold(text))


# --- shipment numbers ----------------------------------------------------------------------------------

S10_WEIGHTS: tuple[int, ...] = (8, 6, 4, 2, 3, 5, 9, 7)
_S10_FIND = re.compile(r"\b([A-Za-z]{2})[\s-]?(\d{3}[\s-]?\d{3}[\s-]?\d{2})[\s-]?(\d)[\s-]?([A-Za-z]{2})\b")


@dataclass(frozen=True)
class ShipmentNumber:
    """A shipment number found in a message: `number` compacted (no spaces, upper case), its format and
    whether its check digit is right (a wrong one is a typo, not an unknown shipment)."""

    number: str
    kind: Literal["s10", "sscc"]
    valid: bool


def s10_check_digit(serial: str) -> str:
    """UPU S10 check digit of an 8-digit serial: 11 - (weighted sum mod 11), where 10 -> 0 and 11 -> 5."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"an S10 serial number has 8 digits, got '{serial}'")
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def is_valid_s10(number: str) -> bool:
    match = re.fullmatch(r"([A-Z]{2})(\d{8})(\d)([A-Z]{2})", _compact(number))
    return match is not None and s10_check_digit(match.group(2)) == match.group(3)


def is_valid_sscc(number: str) -> bool:
    """GS1 SSCC: 18 digits, the last a GS1 modulus-10 check digit."""
    digits = _compact(number)
    return len(digits) == 18 and digits.isdigit() and ean.calc_check_digit(digits[:-1]) == digits[-1]


def find_shipment_numbers(text: str) -> list[ShipmentNumber]:
    """Every S10 (`CP 123 456 785 NO`) and 18-digit SSCC in the text, in order, valid ones and typos."""
    found: list[tuple[int, ShipmentNumber]] = []
    for match in _S10_FIND.finditer(text):
        number = _compact(match.group(0))
        found.append((match.start(), ShipmentNumber(number, "s10", is_valid_s10(number))))
    for match in _SSCC_LOOSE.finditer(text):
        number = _compact(match.group(0))
        found.append((match.start(), ShipmentNumber(number, "sscc", is_valid_sscc(number))))
    found.sort(key=lambda item: item[0])
    return [item for _, item in found]


def _compact(number: str) -> str:
    return re.sub(r"[\s-]", "", number).upper()


def mostly_a_number(text: str) -> bool:
    """The message is little more than a shipment number (the answer to "which number?")."""
    rest = _S10_FIND.sub(" ", text)
    rest = _SSCC_LOOSE.sub(" ", rest)
    return len(re.findall(r"[^\W\d_]{2,}", rest)) <= 2


# --- the dialogue decision -----------------------------------------------------------------------------

Decision = Literal["answer", "out_of_scope", "rephrase", "offer_human"]


def decide(topic: str, confidence: float, threshold: float, failed_turns: int) -> Decision:
    """What the bot does with a classification: answer a confident in-scope topic; say it cannot help
    with a confident out-of-scope one; otherwise ask to rephrase the first time and offer a human once
    it has failed before (the second failure in a row)."""
    if confidence >= threshold:
        return "out_of_scope" if topic == OUT_OF_SCOPE else "answer"
    return "rephrase" if failed_turns < 1 else "offer_human"


THRESHOLD_CANDIDATES: tuple[float, ...] = tuple(round(0.05 * step, 2) for step in range(1, 15))


def choose_threshold(
    probabilities: Sequence[float],
    predicted: Sequence[str],
    expected: Sequence[str],
    candidates: Sequence[float] = THRESHOLD_CANDIDATES,
) -> float:
    """The confidence threshold that serves customers best on held-out phrases.

    Utility per question: +1 for a right answer, -1 for a wrong one (a confidently wrong answer costs as
    much as a right one gains), 0 for "please rephrase" on an in-scope question, and +0.5 when an
    out-of-scope question is declined by the threshold rather than by the out-of-scope class. Ties go
    to the lower threshold (fewer needless rephrase requests).
    """
    best, best_utility = candidates[0], float("-inf")
    for threshold in candidates:
        utility = 0.0
        for prob, got, want in zip(probabilities, predicted, expected, strict=True):
            if prob < threshold:
                utility += 0.5 if want == OUT_OF_SCOPE else 0.0
            else:
                utility += 1.0 if got == want else -1.0
        if utility > best_utility + 1e-9:
            best, best_utility = threshold, utility
    return best


# --- evaluation ----------------------------------------------------------------------------------------


@dataclass
class EvalReport:
    """Top-1 accuracy (the classifier's best topic), answer accuracy (with the threshold: below it counts
    as out of scope, as the bot would not answer), per-topic accuracy, top confusions and out-of-scope
    precision and recall (on the thresholded decision)."""

    total: int
    top1_accuracy: float
    answer_accuracy: float
    per_topic: dict[str, tuple[int, int]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    oos_precision: float | None = None
    oos_recall: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "top1_accuracy": round(self.top1_accuracy, 4),
            "answer_accuracy": round(self.answer_accuracy, 4),
            "per_topic": {
                t: {"correct": c, "total": n, "accuracy": round(c / n, 4)}
                for t, (c, n) in sorted(self.per_topic.items())
            },
            "top_confusions": [{"expected": e, "predicted": p, "count": n} for e, p, n in self.confusions],
            "out_of_scope_precision": None if self.oos_precision is None else round(self.oos_precision, 4),
            "out_of_scope_recall": None if self.oos_recall is None else round(self.oos_recall, 4),
        }


def evaluate(
    expected: Sequence[str],
    predicted: Sequence[str],
    confidences: Sequence[float],
    threshold: float,
    top_confusions: int = 10,
) -> EvalReport:
    total = len(expected)
    if total == 0:
        return EvalReport(total=0, top1_accuracy=0.0, answer_accuracy=0.0)
    decided = [p if c >= threshold else OUT_OF_SCOPE for p, c in zip(predicted, confidences, strict=True)]
    per_topic: dict[str, list[int]] = {}
    confusions: Counter[tuple[str, str]] = Counter()
    for want, got in zip(expected, predicted, strict=True):
        counts = per_topic.setdefault(want, [0, 0])
        counts[1] += 1
        if want == got:
            counts[0] += 1
        else:
            confusions[(want, got)] += 1
    top1 = sum(1 for w, g in zip(expected, predicted, strict=True) if w == g) / total
    answer = sum(1 for w, d in zip(expected, decided, strict=True) if w == d) / total
    said_oos = sum(1 for d in decided if d == OUT_OF_SCOPE)
    is_oos = sum(1 for w in expected if w == OUT_OF_SCOPE)
    both = sum(1 for w, d in zip(expected, decided, strict=True) if w == d == OUT_OF_SCOPE)
    return EvalReport(
        total=total,
        top1_accuracy=top1,
        answer_accuracy=answer,
        per_topic={t: (c[0], c[1]) for t, c in per_topic.items()},
        confusions=[(w, g, n) for (w, g), n in confusions.most_common(top_confusions)],
        oos_precision=both / said_oos if said_oos else None,
        oos_recall=both / is_oos if is_oos else None,
    )
