"""Names of people: shipped name lists plus the words people put around names.

Capitalised words that are known given or family names form a name ("Kari Nordmann", "Anne-Marie
Sørensen af Rosenborg"); an unknown capitalised word joins a known name next to it ("Torgeir Fjellstad").
A known name that is also an everyday word (Per, Hans, Liv, Dag, Bo, Mark, Berg, Strand) needs support:
another name beside it, a title, or an introduction. Introductions ("jeg heter", "jag heter", "jeg
hedder", "my name is"), greetings ("Hei Kari"), sign-offs ("Mvh Kari Nordmann") and titles ("fru",
"Mr.") also carry names that are in no list, and let lower-case chat ("jeg heter kari nordmann") count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tillit.pii.kinds import Finding, Kind
from tillit.pii.lexicon import Lexicon, lexicon

_TOKEN_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['’][^\W\d_]|-(?=[^\W\d_]))*")
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "der",
        "den",
        "af",
        "av",
        "da",
        "di",
        "du",
        "del",
        "della",
        "al",
        "el",
        "bin",
        "ibn",
        "ben",
        "mac",
    ]
)

_INTRO = (
    "jeg heter|jeg hetter|eg heiter|mitt navn er|navnet mitt er|navnet er|navn er|jag heter|"
    "mitt namn är|namnet är|"
    "jeg hedder|mit navn er|navnet er|my name is|name is|the name is|name's|jeg er|jag är|i am|i'm|"
    "im|this is|"
    "det er|dette er|detta är|det är|her er|här är|her skriver|skriver|kontaktperson|contact person|"
    "på vegne av|på vegne af|på uppdrag av|on behalf of|kortinnehaver|kortholder|kontoinnehaver|"
    "account holder|mottaker|mottagare|modtager|recipient|signed|navn|namn|name|kunde|kund|customer|"
    "fra|från|from"
)
_GREETING = (
    "hei|heisann|hallo|hej|hejsan|hi|hello|hey|dear|kjære|kära|kære|god morgen|god morgon|godmorgen|goddag|"
    "god dag|good morning|good afternoon|morn|morna|tjena|tjenare|hola"
)
_SIGNOFF = (
    "mvh|m\\.v\\.h\\.?|mvh\\.|med vennlig hilsen|vennlig hilsen|beste hilsen|hilsen|hilsning|"
    "med venlig hilsen|"
    "venlig hilsen|venlige hilsner|kh|kærlig hilsen|mange hilsner|hälsningar|vänliga hälsningar|med vänliga "
    "hälsningar|vänligen|mvh/|bästa hälsningar|regards|best regards|kind regards|warm regards|"
    "best wishes|best,|"
    "cheers|sincerely|yours sincerely|yours|thanks,|thank you,|takk,|tusen takk,|tack,|tak,|mange tak,|"
    "på forhånd takk,|takk for hjelpen,|tack för hjälpen,|tak for hjælpen,"
)
_TITLE = "herr|hr\\.?|fru|frk\\.?|fröken|frøken|mr\\.?|mrs\\.?|ms\\.?|miss|dr\\.?|prof\\.?|sir|madam"

_TRIGGER_RE = re.compile(
    rf"(?<![\w])(?:(?P<intro>{_INTRO})|(?P<greeting>{_GREETING})|(?P<signoff>{_SIGNOFF})|(?P<title>{_TITLE}))"
    r"(?P<gap>[ \t]*[:,!\-–]?[ \t]*\n?[ \t]*)",
    re.IGNORECASE,
)
_WEAK_INTROS = frozenset(
    [
        "jeg er",
        "jag är",
        "i am",
        "i'm",
        "im",
        "this is",
        "det er",
        "dette er",
        "detta är",
        "det är",
        "her er",
        "här är",
        "skriver",
        "navn",
        "namn",
        "name",
        "kunde",
        "kund",
        "customer",
        "fra",
        "från",
        "from",
    ]
)


@dataclass(slots=True)
class _Tok:
    start: int
    end: int
    word: str
    lower: str
    cap: bool
    first: bool
    last: bool
    common: bool
    banned: bool

    @property
    def known(self) -> bool:
        return self.first or self.last

    @property
    def strong(self) -> bool:
        return self.known and not self.common


def _is_name(lower: str, names: frozenset[str]) -> bool:
    if lower in names or (len(lower) > 3 and lower[-1] == "s" and lower[:-1] in names):  # genitive: Haugens
        return True
    if "-" in lower:
        return any(p in names for p in lower.split("-"))
    return False


def _tokens(text: str, lex: Lexicon) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group()
        lower = word.lower()
        cap = word[0].isupper() and not (len(word) > 1 and word.isupper())
        out.append(
            _Tok(
                m.start(),
                m.end(),
                word,
                lower,
                cap,
                _is_name(lower, lex.first),
                _is_name(lower, lex.last),
                lower in lex.common,
                lower in lex.not_names,
            )
        )
    return out


def _adjacent(text: str, a: _Tok, b: _Tok) -> bool:
    gap = text[a.end : b.start]
    return gap in (" ", "\u00a0")


def _name_part(t: _Tok, lowercase_ok: bool) -> bool:
    if t.banned:
        return False
    if t.cap:
        return t.known or (not t.common and len(t.word) > 1 and _hyphen_caps(t.word))
    return lowercase_ok and t.strong


def _hyphen_caps(word: str) -> bool:
    """Unknown hyphenated words are names only when every part is capitalised (Anne-Lise, not Kolli-id)."""
    return all(p[:1].isupper() for p in word.split("-"))


def _extend(text: str, toks: list[_Tok], i: int, lowercase_ok: bool, limit: int = 4) -> int:
    """Index one past the last token of the name starting at `i` (particles allowed inside).

    A name is given names then family names: once a family name (or an unknown word standing for one)
    is in, only further known family names may follow, so "Kari Nordmann Ordrenummer" stops at Nordmann.
    """
    j = i + 1
    surname_seen = toks[i].last and not toks[i].first
    while j < len(toks) and j - i < limit and _adjacent(text, toks[j - 1], toks[j]):
        t = toks[j]
        if t.lower in _PARTICLES and not t.cap and j + 1 < len(toks) and toks[j + 1].cap:
            j += 1
            continue
        if not _name_part(t, lowercase_ok):
            break
        if surname_seen and not (t.last and t.strong):
            break
        if not t.first or t.last:
            surname_seen = True
        j += 1
    while j - 1 > i and toks[j - 1].lower in _PARTICLES:
        j -= 1
    return j


def find_names(text: str) -> Iterator[Finding]:
    lex = lexicon()
    toks = _tokens(text, lex)
    if not toks:
        return
    by_start = {t.start: k for k, t in enumerate(toks)}
    triggered: dict[int, str] = {}
    for m in _TRIGGER_RE.finditer(text):
        k = by_start.get(m.end())
        if k is not None:
            kind = m.lastgroup if m.lastgroup != "gap" else None
            for g in ("intro", "greeting", "signoff", "title"):
                if m.group(g):
                    kind = g
            if kind == "intro" and m.group("intro").lower() in _WEAK_INTROS:
                kind = "weak_intro"
            if kind is not None:
                triggered[k] = kind
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        trig = triggered.get(i)
        j = i
        if trig is not None:
            j = _after_trigger(text, toks, i, trig)
        if j == i and not t.banned:
            j = _plain(text, toks, i)
        if j > i:
            yield Finding(Kind.PERSON, toks[i].start, toks[j - 1].end, 0.85)
            i = j
        else:
            i += 1


def _after_trigger(text: str, toks: list[_Tok], i: int, trig: str) -> int:
    t = toks[i]
    if t.banned:
        return i
    if trig == "intro":
        if not (t.cap and not t.common) and not t.strong and not (t.cap and t.known):
            return i
        return _extend(text, toks, i, lowercase_ok=True)
    if not t.cap or (t.common and not t.known) or not _name_part(t, False):
        return i
    j = _extend(text, toks, i, lowercase_ok=False)
    if trig in ("signoff", "title", "weak_intro"):
        return j
    # greeting: a known name, or an unknown word that ends the greeting ("Hei Torgeir,")
    if (t.known and not t.common) or j > i + 1:
        return j
    after = text[t.end : t.end + 1]
    return j if after in (",", "!", "\n", "") else i


def _plain(text: str, toks: list[_Tok], i: int) -> int:
    t = toks[i]
    if not t.cap:
        # lower-case chat: a given name directly followed by a family name, both unambiguous
        if t.first and t.strong and i + 1 < len(toks):
            nxt = toks[i + 1]
            if not nxt.cap and nxt.last and nxt.strong and _adjacent(text, t, nxt):
                return i + 2
        return i
    if not t.known:
        # an unknown capitalised word right before a known family name ("Zlatan Andersson"), or before
        # any known name in mid-sentence ("står i Oddveig Ritva Lindahls navn")
        if t.common or t.banned or len(t.word) < 2 or i + 1 >= len(toks) or not _hyphen_caps(t.word):
            return i
        nxt = toks[i + 1]
        if not (nxt.cap and nxt.strong and not nxt.banned and _adjacent(text, t, nxt)):
            return i
        mid_sentence = i > 0 and text[toks[i - 1].end : t.start].strip() in ("", ",")
        if (nxt.last and not nxt.first) or mid_sentence:
            return _extend(text, toks, i + 1, lowercase_ok=False)
        return i
    j = _extend(text, toks, i, lowercase_ok=False)
    span = toks[i:j]
    if len(span) == 1:
        return j if t.first and t.strong else i
    if any(s.strong for s in span) or (any(s.first for s in span) and any(s.last for s in span)):
        return j
    return i
