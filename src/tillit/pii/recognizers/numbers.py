"""Number-like personal data: national IDs, phones, accounts, cards, IBAN, IP addresses, tracking numbers.

One precompiled regex walks the text once. Its alternatives catch the shapes that carry letters (e-mail,
IBAN, Finnish henkilötunnus, UPU S10, IPv6) and, last, any *digit run*: digit groups joined by single
spaces, dashes or dots, with an optional leading ``+``/``00``. A digit run is then read as a whole and,
if that fails, as its longest sub-runs from the left ("ring 912 34 567 1 gang" finds the phone). Each
reading asks the checksum (``checks``), the way the digits are grouped, the nearest context word and the
message language; numbers that are dates, amounts or preceded by "order", "KID", "org.nr." are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers

from tillit.pii.kinds import Finding, Kind
from tillit.pii.recognizers import checks
from tillit.pii.recognizers.context import ContextIndex, Ctx

_SEP = r"(?:[ \u00a0]?\(0\)[ \u00a0]?|[ \u00a0\-.])"
_STRUCTURED = re.compile(
    r"(?P<URL>\b(?:https?://|www\.)[^\s<>\"']+)"
    r"|(?P<EMAIL>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-]))"
    r"|(?P<FI>(?<![\w+-])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![\w]))"
    r"|(?P<S10>(?<![\w])[A-Z]{2}[ \u00a0]?\d{3}[ \u00a0]?\d{3}[ \u00a0]?\d{3}[ \u00a0]?[A-Z]{2}(?![\w]))"
    r"|(?P<IBAN>(?<![\w])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ \u00a0][A-Z0-9]{4}){2,7}(?:[ \u00a0][A-Z0-9]{1,3})?)(?![\w]))"  # noqa: E501
    r"|(?P<IPV6>(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:]))"
    r"|(?P<IPV4>(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d))"
    r"|(?P<RUN>(?<![\w+])(?:\+[ \u00a0]?|00(?=\d)|\(\+?\d{1,4}\)[ \u00a0]?)?\d+(?:" + _SEP + r"\d+)*)"
)
_GROUP_RE = re.compile(r"\d+")
_AMOUNT_AFTER = re.compile(
    r"[ \u00a0]?(?:kr\b|kr\.|,-|,\d|:-|nok\b|sek\b|dkk\b|eur\b|€|\$|%|kroner|kronor)", re.I
)
_AMOUNT_BEFORE = re.compile(r"(?:kr\.?|nok|sek|dkk|eur|€|\$)[ \u00a0]?$", re.I)
_NORDIC_CC = ("47", "46", "45", "358")
_MAX_GROUPS = 8


@lru_cache(maxsize=65536)
def _phone_ok(digits: str, international: bool) -> bool:
    """Valid phone number: any country when written internationally, else NO/DK (8 digits) or SE/FI (0...)."""
    try:
        if international:
            return bool(phonenumbers.is_valid_number(phonenumbers.parse("+" + digits, None)))
        if digits[0] == "0":
            regions: tuple[str, ...] = ("SE", "FI")
        elif len(digits) == 8:
            regions = ("NO", "DK")
        else:
            return False
        return any(phonenumbers.is_valid_number(phonenumbers.parse(digits, r)) for r in regions)
    except phonenumbers.NumberParseException:
        return False


def _ten_digits(d: str, shape: tuple[int, ...], sep: str, ctx: Ctx | None, lang: str | None) -> Kind | None:
    """Ten digits: Swedish personnummer, Danish CPR or a Swedish/Finnish phone number."""
    se = checks.se_national_id(d, plus=sep == "+")
    dk = checks.dk_cpr(d)
    phone = d[0] == "0" and shape != (6, 4) and _phone_ok(d, False)
    if ctx is Ctx.PHONE and phone:
        return Kind.PHONE
    if ctx is Ctx.CPR and dk:
        return Kind.DK_CPR
    if se and dk:
        if lang == "da" or ctx is Ctx.CPR:
            return Kind.DK_CPR
        if lang == "sv" or (checks.luhn_ok(d) and not checks.dk_cpr_mod11(d)):
            return Kind.SE_NATIONAL_ID
        return Kind.DK_CPR
    if phone and ctx not in (Ctx.NATID, Ctx.CPR) and not (dk and lang == "da"):
        return Kind.PHONE
    if se:
        return Kind.SE_NATIONAL_ID
    if dk and (shape == (6, 4) or ctx in (Ctx.NATID, Ctx.CPR) or lang == "da" or checks.dk_cpr_mod11(d)):
        return Kind.DK_CPR
    return None


def _eleven_digits(d: str, shape: tuple[int, ...], ctx: Ctx | None) -> Kind | None:
    """Eleven digits: fødselsnummer or account number, told apart by grouping first and context second."""
    fnr = checks.no_national_id(d)
    acc = checks.no_account(d)
    if shape == (4, 2, 5):
        return Kind.NO_BANK_ACCOUNT if acc else None
    if ctx is Ctx.ACCOUNT and acc:
        return Kind.NO_BANK_ACCOUNT
    if fnr:
        return Kind.NO_NATIONAL_ID
    if acc and ctx not in (Ctx.NATID, Ctx.PHONE, Ctx.CARD):
        return Kind.NO_BANK_ACCOUNT
    return None


def classify(
    groups: list[str], seps: list[str], plus: bool, ctx: Ctx | None, lang: str | None
) -> Kind | None:
    """The kind of one digit run, or None when it is not personal data (or not recognisably so)."""
    d = "".join(groups)
    n = len(d)
    shape = tuple(len(g) for g in groups)
    if plus:
        return Kind.PHONE if 7 <= n <= 15 and _phone_ok(d, True) else None
    if ctx is Ctx.NEG:
        return None
    if checks.looks_like_date(groups):
        return None
    if n == 20 and d.startswith("00") and checks.gs1_ok(d[2:]):
        return Kind.TRACKING_NUMBER
    if n == 18 and checks.gs1_ok(d) and not (ctx is Ctx.CARD and checks.luhn_ok(d)):
        return Kind.TRACKING_NUMBER
    if 13 <= n <= 19 and checks.luhn_ok(d) and checks.card_prefix_ok(d):
        return Kind.PAYMENT_CARD
    if n == 11:
        return _eleven_digits(d, shape, ctx)
    if n == 12 and shape in ((8, 4), (12,)) and checks.se_national_id(d):
        return Kind.SE_NATIONAL_ID
    if n == 10:
        kind = _ten_digits(d, shape, seps[0] if len(seps) == 1 else "", ctx, lang)
        if kind is not None:
            return kind
    if d[:2] in _NORDIC_CC or d[:3] in _NORDIC_CC:
        cc_len = 3 if d[:3] == "358" else 2
        if groups[0] == d[:cc_len] and n >= 9 and _phone_ok(d, True):
            return Kind.PHONE
    if n == 8 and d[0] != "0":
        if shape == (2, 3, 3) and ctx is not Ctx.PHONE:
            return None  # thousands grouping: an amount
        return Kind.PHONE if _phone_ok(d, False) else None
    if d[0] == "0" and 8 <= n <= 10 and (len(groups) > 1 or ctx is Ctx.PHONE or n == 10):
        return Kind.PHONE if _phone_ok(d, False) else None
    return None


_SCORES: dict[Kind, float] = {
    Kind.NO_NATIONAL_ID: 0.95,
    Kind.SE_NATIONAL_ID: 0.95,
    Kind.DK_CPR: 0.8,
    Kind.FI_NATIONAL_ID: 0.98,
    Kind.PHONE: 0.8,
    Kind.EMAIL: 0.99,
    Kind.IBAN: 0.99,
    Kind.NO_BANK_ACCOUNT: 0.85,
    Kind.PAYMENT_CARD: 0.95,
    Kind.IP_ADDRESS: 0.9,
    Kind.TRACKING_NUMBER: 0.9,
}


def _runs(
    text: str, start: int, end: int, ctx_index: ContextIndex, lang: str | None, since: int
) -> Iterator[Finding]:
    """Read one digit run whole, else its longest classifiable sub-runs from the left."""
    raw = text[start:end]
    plus = raw.startswith(("+", "00", "(+"))
    digits = sum(c.isdigit() for c in raw)
    if raw.startswith("00") and digits == 20:
        plus = False  # an SSCC written with its application identifier (00)
    groups: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _GROUP_RE.finditer(raw):
        if m.group() == "0" and raw[max(0, m.start() - 1)] == "(" and spans:
            continue  # the "(0)" in "+46 (0)70-123 45 67"
        groups.append(m.group())
        spans.append((start + m.start(), start + m.end()))
    if raw.startswith("00") and plus:
        groups[0] = groups[0][2:]
        if not groups[0]:
            groups, spans = groups[1:], spans[1:]
    if not groups:
        return
    # "5328 3378 1856 0504" that fails Luhn is a mistyped card, not two phone numbers: no sub-runs
    card_like = len(groups) >= 3 and all(len(g) == 4 for g in groups[:-1]) and len(groups[-1]) <= 4
    whole_only = card_like or [len(g) for g in groups] == [4, 6, 5]
    if _AMOUNT_AFTER.match(text, end) or _AMOUNT_BEFORE.search(text, max(0, start - 5), start):
        return
    seps = [text[spans[k][1] : spans[k + 1][0]].strip() or " " for k in range(len(groups) - 1)]
    i = 0
    while i < len(groups):
        found = False
        stop = len(groups) - 1 if whole_only else i
        for j in range(min(len(groups), i + _MAX_GROUPS), stop, -1):
            s = start if i == 0 else spans[i][0]
            ctx = ctx_index.before(s, since=since if i == 0 else spans[i - 1][1])
            e = spans[j - 1][1]
            if ctx is None:
                ctx = ctx_index.after(e)
            hint = ctx_index.country_hint(s, window=40)
            hl = "sv" if hint is Ctx.SE_HINT else "da" if hint is Ctx.DK_HINT else lang
            kind = classify(groups[i:j], seps[i : j - 1], plus and i == 0, ctx, hl)
            if kind is None and plus and i == 0 and raw.startswith("00"):
                restored = ["00" + groups[0], *groups[1:j]] if j > 0 else groups
                kind = classify(restored, seps[i : j - 1], False, ctx, hl)
            if kind is not None:
                yield Finding(kind, s, e, _score(kind, ctx))
                i, found = j, True
                break
        if not found:
            if whole_only:
                return
            i += 1


_CTX_FOR: dict[Kind, tuple[Ctx, ...]] = {
    Kind.PHONE: (Ctx.PHONE,),
    Kind.NO_BANK_ACCOUNT: (Ctx.ACCOUNT,),
    Kind.NO_NATIONAL_ID: (Ctx.NATID,),
    Kind.SE_NATIONAL_ID: (Ctx.NATID,),
    Kind.DK_CPR: (Ctx.CPR, Ctx.NATID),
    Kind.PAYMENT_CARD: (Ctx.CARD,),
    Kind.TRACKING_NUMBER: (Ctx.TRACKING,),
}


def _score(kind: Kind, ctx: Ctx | None) -> float:
    base = _SCORES[kind]
    return min(0.99, base + 0.1) if ctx in _CTX_FOR.get(kind, ()) else base


def find_numbers(text: str, ctx_index: ContextIndex, lang: str | None) -> Iterator[Finding]:
    """Every number-like finding in `text`, in order, non-overlapping."""
    since = 0
    for m in _STRUCTURED.finditer(text):
        group = m.lastgroup
        s, e = m.span()
        prev, since = since, e
        if group == "RUN":
            yield from _runs(text, s, e, ctx_index, lang, prev)
        elif group == "EMAIL":
            yield Finding(Kind.EMAIL, s, e, _SCORES[Kind.EMAIL])
        elif group == "IBAN":
            yield from _iban(m.group(), s)
        elif group == "FI":
            raw = m.group()
            digits_only = raw[6] in "-+" and raw[-1].isdigit()
            if checks.fi_national_id(raw) and not (digits_only and _nordic_id_context(ctx_index, s, lang)):
                yield Finding(Kind.FI_NATIONAL_ID, s, e, _SCORES[Kind.FI_NATIONAL_ID])
            elif digits_only:
                yield from _runs(text, s, e, ctx_index, lang, prev)  # 6+4 digits: SE personnummer or DK CPR
        elif group == "S10":
            if checks.s10_ok(re.sub(r"\s", "", m.group())):
                yield Finding(Kind.TRACKING_NUMBER, s, e, 0.95)
        elif group in ("IPV4", "IPV6"):
            version = group == "IPV4" and ctx_index.before(s, since=prev) is Ctx.NEG  # "versjon 1.2.3.4"
            if checks.ip_ok(m.group()) and not version:
                yield Finding(Kind.IP_ADDRESS, s, e, _SCORES[Kind.IP_ADDRESS])
            elif group == "IPV4":
                yield from _runs(text, s, e, ctx_index, lang, prev)


def _nordic_id_context(ctx_index: ContextIndex, pos: int, lang: str | None) -> bool:
    """A Finnish-valid 6+4-digit number that the text calls a CPR or a Swedish/Danish number."""
    ctx = ctx_index.before(pos) or ctx_index.after(pos + 11)
    return ctx is Ctx.CPR or ctx_index.country_hint(pos) is not None


def _iban(raw: str, start: int) -> Iterator[Finding]:
    """The longest prefix of the match (at a group boundary) that is a valid IBAN."""
    cuts = [m.end() for m in re.finditer(r"[A-Z0-9]+", raw)]
    for cut in reversed(cuts):
        compact = re.sub(r"\s", "", raw[:cut])
        if 15 <= len(compact) <= 34 and checks.iban_ok(compact):
            yield Finding(Kind.IBAN, start, start + cut, _SCORES[Kind.IBAN])
            return
