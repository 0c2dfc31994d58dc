"""The generated, labelled evaluation corpus: seeded, chat-like, four languages, with hard negatives.

`generate(n, seed)` returns `Example`s whose `spans` are the truth. A message has one to three pieces of
personal data and/or hard negatives (organisation, order, invoice and KID numbers, amounts, dates, and
numbers that fail their checksums), between greetings and filler sentences. The same seed gives the same
corpus on every machine, so it need not be committed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stdnum import luhn

from tillit.pii.corpus.templates import FILLERS, OPENERS, T
from tillit.pii.corpus.values import Values

LANGS = ("nb", "sv", "da", "en")


@dataclass
class Example:
    id: str
    text: str
    lang: str
    spans: list[tuple[str, int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "lang": self.lang,
            "spans": [{"kind": k, "start": s, "end": e} for k, s, e in self.spans],
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Example:
        spans = d.get("spans", [])
        assert isinstance(spans, list)
        return cls(
            str(d["id"]),
            str(d["text"]),
            str(d.get("lang") or ""),
            [(str(s["kind"]), int(s["start"]), int(s["end"])) for s in spans],
        )


class _Negatives:
    def __init__(self, v: Values) -> None:
        self.v = v
        self.r = v.rng

    def value(self, kind: str, lang: str) -> str:
        return getattr(self, kind.lower())(lang)  # type: ignore[no-any-return]

    def neg_org(self, lang: str) -> str:
        v, r = self.v, self.r
        if lang == "da":
            while True:
                d = v._digits(8)
                if (
                    d[0] != "0"
                    and sum(int(a) * w for a, w in zip(d, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0
                ):
                    return d
        if lang == "sv":
            body = "55" + v._digits(7)
            num = body + luhn.calc_check_digit(body)
            return f"{num[:6]}-{num[6:]}"
        while True:
            body = r.choice("89") + v._digits(7)
            k = 11 - sum(int(a) * w for a, w in zip(body, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
            if k != 10:
                num = body + str(k % 11)
                return r.choice(
                    [num, f"{num[:3]} {num[3:6]} {num[6:]}", f"NO {num[:3]} {num[3:6]} {num[6:]} MVA"]
                )

    def neg_order(self, lang: str) -> str:
        return self.v._digits(self.r.choice([6, 7, 8, 8, 9, 10])).lstrip("0") or "1234"

    def neg_invoice(self, lang: str) -> str:
        r = self.r
        return r.choice(
            [f"{r.randrange(2019, 2027)}-{self.v._digits(6)}", f"F-{self.v._digits(5)}", self.v._digits(8)]
        )

    def neg_kid(self, lang: str) -> str:
        body = str(self.r.randrange(1, 10)) + self.v._digits(self.r.choice([8, 11, 12, 14, 15]))
        return body + luhn.calc_check_digit(body)

    def neg_amount(self, lang: str) -> str:
        r = self.r
        n = r.randrange(100, 2_000_000)
        grouped = f"{n:,}".replace(",", " ")
        cur = {"nb": "kr", "sv": "kr", "da": "kr.", "en": "NOK"}[lang]
        return r.choice(
            [
                f"{grouped} {cur}",
                f"kr {grouped},50",
                f"{grouped},-",
                f"NOK {grouped}",
                f"{n} kroner",
                f"EUR {grouped}",
            ]
        )

    def neg_date(self, lang: str) -> str:
        d = self.v._date(2019, 2026)
        r = self.r
        return r.choice(
            [
                f"{d.day:02d}.{d.month:02d}.{d.year}",
                d.isoformat(),
                f"{d.day}/{d.month}",
                f"{d.day:02d}.{d.month:02d}.{d.year} kl. {r.randrange(7, 22)}:{r.choice(['00', '15', '30'])}",
                f"kl. {r.randrange(7, 22)}.{r.choice(['00', '15', '45'])}",
                f"{d.day}.{d.month}.{d.year % 100:02d}",
            ]
        )

    def neg_customer(self, lang: str) -> str:
        return self.r.choice(
            [
                self.v._digits(7),
                f"{self.r.randrange(2020, 2027)}/{self.v._digits(5)}",
                self.v._digits(9),
                f"CS-{self.v._digits(6)}",
            ]
        )

    def neg_bad(self, lang: str) -> str:
        """A number that looks like personal data but fails its checksum."""
        v, r = self.v, self.r
        choice = r.randrange(4)
        if choice == 0:
            good = v.fnr().replace(" ", "")
            bad = good[:-1] + str((int(good[-1]) + r.randrange(1, 10)) % 10)
            from tillit.pii.recognizers import checks

            if checks.no_national_id(bad) or checks.no_account(bad):
                return "0101"
            return bad
        if choice == 1:
            good = v.card().replace(" ", "").replace("-", "")
            bad = good[:-1] + str((int(good[-1]) + r.randrange(1, 10)) % 10)
            return " ".join(bad[i : i + 4] for i in range(0, len(bad), 4))
        if choice == 2:
            good = v.iban(lang).replace(" ", "")
            bad = good[:2] + f"{(int(good[2:4]) + r.randrange(1, 50)) % 97 + 2:02d}" + good[4:]
            return " ".join(bad[i : i + 4] for i in range(0, len(bad), 4))
        good = v.account().replace(".", "").replace(" ", "")
        bad = good[:-1] + str((int(good[-1]) + r.randrange(1, 10)) % 10)
        return f"{bad[:4]}.{bad[4:6]}.{bad[6:]}"


_KIND_WEIGHTS = {
    "NO_NATIONAL_ID": 8,
    "SE_NATIONAL_ID": 7,
    "DK_CPR": 7,
    "FI_NATIONAL_ID": 4,
    "PHONE": 14,
    "EMAIL": 8,
    "IBAN": 5,
    "NO_BANK_ACCOUNT": 7,
    "PAYMENT_CARD": 6,
    "IP_ADDRESS": 4,
    "TRACKING_NUMBER": 6,
    "PERSON": 14,
    "STREET_ADDRESS": 10,
}
_NEG_KINDS = [
    "NEG_ORG",
    "NEG_ORDER",
    "NEG_INVOICE",
    "NEG_KID",
    "NEG_AMOUNT",
    "NEG_DATE",
    "NEG_CUSTOMER",
    "NEG_BAD",
]


def _value(v: Values, kind: str, lang: str) -> str:
    if kind == "NO_NATIONAL_ID":
        return v.fnr()
    if kind == "SE_NATIONAL_ID":
        return v.se_pnr()
    if kind == "DK_CPR":
        return v.cpr()
    if kind == "FI_NATIONAL_ID":
        return v.hetu()
    if kind == "PHONE":
        return v.phone(lang)
    if kind == "EMAIL":
        return v.email()
    if kind == "IBAN":
        return v.iban(lang)
    if kind == "NO_BANK_ACCOUNT":
        return v.account()
    if kind == "PAYMENT_CARD":
        return v.card()
    if kind == "IP_ADDRESS":
        return v.ip()
    if kind == "TRACKING_NUMBER":
        return v.tracking()
    if kind == "PERSON":
        return v.person()
    return v.address(lang)


def generate(n: int = 6000, seed: int = 20260115) -> list[Example]:
    """`n` labelled messages drawn from `seed` (nb, sv, da, en in turn)."""
    rng = random.Random(seed)
    v = Values(rng)
    neg = _Negatives(v)
    kinds = list(_KIND_WEIGHTS)
    weights = list(_KIND_WEIGHTS.values())
    out: list[Example] = []
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        pieces: list[tuple[str, str | None, str]] = []  # (template, kind or None, value)
        n_pii = rng.choices([0, 1, 2, 3], [0.15, 0.45, 0.28, 0.12])[0]
        for kind in rng.choices(kinds, weights, k=n_pii):
            options = T[lang].get(kind) or T["en"][kind]
            pieces.append((rng.choice(options), kind, _value(v, kind, lang)))
        for nk in rng.sample(_NEG_KINDS, rng.choices([0, 1, 2], [0.45, 0.4, 0.15])[0] if n_pii else 2):
            pieces.append((rng.choice(T[lang][nk]), None, neg.value(nk, lang)))
        if rng.random() < 0.5:
            pieces.append((rng.choice(FILLERS[lang]), None, ""))
        rng.shuffle(pieces)
        text = rng.choice(OPENERS[lang])
        spans: list[tuple[str, int, int]] = []
        for template, piece_kind, value in pieces:
            if text and not text.endswith("\n"):
                text += " "
            before, _, after = template.partition("{v}")
            start = len(text) + len(before)
            text += before + value + after
            if piece_kind is not None and "{v}" in template:
                spans.append((piece_kind, start, start + len(value)))
        out.append(Example(f"gen-{seed}-{i:05d}", text.strip() if not spans else text, lang, spans))
    return out
