"""The name lists shipped under `data/`, loaded once per process (never per message, never downloaded)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


def _words(name: str) -> list[str]:
    text = resources.files("tillit.pii").joinpath("data", name).read_text(encoding="utf-8")
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        out.extend(line.split())
    return out


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Lower-cased word sets: given names, family names, ordinary words, and capitalised non-names."""

    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]
    not_names: frozenset[str]


COUNTRIES = ("no", "se", "dk", "fi", "intl")


@cache
def lexicon() -> Lexicon:
    first = {w.lower() for c in COUNTRIES for w in _words(f"first_names_{c}.txt")}
    last = {w.lower() for c in COUNTRIES for w in _words(f"last_names_{c}.txt")}
    return Lexicon(
        first=frozenset(first),
        last=frozenset(last),
        common=frozenset(w.lower() for w in _words("common_words.txt")),
        not_names=frozenset(w.lower() for w in _words("not_names.txt")),
    )
