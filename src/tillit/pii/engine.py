"""`find`: every recogniser over one text, overlaps resolved, in three passes and no model.

Passes: the context-word regex, the structured/number regex, the address regex, and the name tokeniser.
Where spans overlap, the more specific wins: checksummed numbers and e-mail first, then addresses, then
names (so "Kari Nordmanns gate 5" is an address and "kari.nordmann@example.com" an e-mail).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tillit.pii.kinds import Finding, Kind
from tillit.pii.recognizers.addresses import find_addresses
from tillit.pii.recognizers.context import ContextIndex, guess_language
from tillit.pii.recognizers.names import find_names
from tillit.pii.recognizers.numbers import find_numbers

#: Languages whose conventions the detector knows; a hint only (all recognisers always run).
LANGUAGES = ("nb", "nn", "no", "sv", "da", "en", "fi")
_ALIASES = {"no": "nb", "nn": "nb", "nb-no": "nb", "sv-se": "sv", "da-dk": "da", "en-gb": "en", "en-us": "en"}


def _language(text: str, languages: Sequence[str] | None) -> str | None:
    if languages:
        first = languages[0].lower()
        return _ALIASES.get(first, first)
    return guess_language(text)


def _resolve(layers: Iterable[Iterable[Finding]]) -> list[Finding]:
    """Keep findings layer by layer, dropping any that overlaps one already kept."""
    kept: list[Finding] = []
    for layer in layers:
        for f in layer:
            if all(f.end <= k.start or f.start >= k.end for k in kept):
                kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end))
    return kept


def find(
    text: str, languages: Sequence[str] | None = None, kinds: Iterable[Kind] | None = None
) -> list[Finding]:
    """Personal data in `text`, sorted by position and non-overlapping.

    `languages` is a hint ("nb", "sv", "da", "en") that settles ten-digit numbers which read as both a
    Swedish personnummer and a Danish CPR; without it the language is guessed from function words.
    `kinds` restricts the result (all kinds by default).
    """
    if not text:
        return []
    lang = _language(text, languages)
    ctx = ContextIndex.build(text)
    numbers = list(find_numbers(text, ctx, lang))
    found = _resolve((numbers, find_addresses(text), find_names(text)))
    if kinds is not None:
        wanted = frozenset(kinds)
        found = [f for f in found if f.kind in wanted]
    return found
