"""The four catalogues are complete: every message the code and templates use is translated everywhere.

Messages are extracted exactly as `pybabel extract -F babel.cfg` would (same mapping file), so a new
`_("...")` in a template or `N_("...")` in a table that nobody translated fails here, not in front of a
customer reading a half-English notice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tillit.policy.i18n import CATALOGUE_LANGUAGES, LOCALE_DIR, translations

REPO = Path(__file__).resolve().parents[3]
BABEL_CFG = REPO / "babel.cfg"


@pytest.fixture(scope="module")
def used() -> dict[str | tuple[str, ...], list[str]]:
    """Every message id used in code and templates (plural ids as (singular, plural)), with where."""
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CFG))
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map
    ):
        key = tuple(message[:2]) if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def _catalogue(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def test_extraction_finds_the_notice_and_page_messages(used: dict[str | tuple[str, ...], list[str]]) -> None:
    """Guard against a babel.cfg that silently matches nothing (then every catalogue would look complete)."""
    assert "Privacy notice" in used  # templates
    assert "after the conversation ended" in used  # N_ tables in Python
    assert ("%(num)s day", "%(num)s days") in used  # plural forms
    assert "Skip to content" in used  # web templates
    assert len(used) > 250


@pytest.mark.parametrize("lang", CATALOGUE_LANGUAGES)
def test_every_used_message_is_translated_and_not_fuzzy(
    lang: str, used: dict[str | tuple[str, ...], list[str]]
) -> None:
    catalogue = _catalogue(lang)
    problems = []
    for key, where in sorted(used.items(), key=lambda item: str(item[0])):
        msgid = key[0] if isinstance(key, tuple) else key
        message = catalogue.get(msgid)
        if message is None:
            problems.append(f"missing: {key!r} (used at {where[0]})")
        elif message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif isinstance(key, tuple) != isinstance(message.id, tuple):
            problems.append(f"plural mismatch: {key!r}")
        else:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(s.strip() for s in strings):
                problems.append(f"untranslated: {key!r}")
    assert problems == [], f"{lang}: " + "; ".join(problems)


@pytest.mark.parametrize("lang", CATALOGUE_LANGUAGES)
def test_no_stale_messages_and_placeholders_match(
    lang: str, used: dict[str | tuple[str, ...], list[str]]
) -> None:
    catalogue = _catalogue(lang)
    used_ids = {key[0] if isinstance(key, tuple) else key for key in used}
    stale = [
        m.id for m in catalogue if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in used_ids
    ]
    assert stale == [], f"{lang}: messages no longer used: {stale}"
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalogue.check() if errs]
    assert errors == [], f"{lang}: python-format placeholders differ: {errors}"


def test_catalogues_load_at_run_time_without_a_build_step() -> None:
    assert not list(LOCALE_DIR.rglob("*.mo")), "no compiled catalogue is needed (or wanted) next to the .po"
    assert translations("nb").gettext("Privacy notice") == "Personvernerklæring"
    assert translations("sv").gettext("Privacy notice") == "Integritetspolicy"
    assert translations("da").gettext("Privacy notice") == "Privatlivspolitik"
    assert translations("en").gettext("Privacy notice") == "Privacy notice"
    assert translations("nb").ngettext("%(num)s day", "%(num)s days", 2) == "%(num)s dager"
    assert translations("nb") is translations("nb"), "compiled once per language"
