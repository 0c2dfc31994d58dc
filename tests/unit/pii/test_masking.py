"""Masking styles: tag, keyed hash (stable within one key, different across keys), partial."""

from __future__ import annotations

import pytest

from tillit.pii import Finding, Kind, MaskStyle, find, mask, redact


def test_tag_style() -> None:
    text = "Ring 912 34 567, mvh Kari Nordmann"
    assert redact(text) == "Ring [PHONE], mvh [PERSON]"


def test_keyed_hash_is_stable_within_a_key_and_ignores_formatting() -> None:
    a = redact("tlf 912 34 567", MaskStyle.HASH, key="export-1")
    b = redact("tlf 91234567", MaskStyle.HASH, key="export-1")
    c = redact("tlf 912 34 567", MaskStyle.HASH, key="export-2")
    assert a == b
    assert a != c
    assert a.startswith("tlf [PHONE:") and "912" not in a


def test_keyed_hash_differs_between_values() -> None:
    assert redact("tlf 912 34 567", "hash", key="k") != redact("tlf 912 34 568", "hash", key="k")


def test_hash_without_key_is_refused() -> None:
    with pytest.raises(ValueError, match="key"):
        redact("tlf 912 34 567", MaskStyle.HASH)


def test_partial_card_keeps_last_four_and_separators() -> None:
    text = "Kort 4863 3538 6140 8319"
    assert mask(text, find(text), MaskStyle.PARTIAL) == "Kort **** **** **** 8319"


def test_partial_email_and_name() -> None:
    text = "kari@example.com fra Kari Nordmann"
    assert mask(text, find(text), "partial") == "k***@example.com fra K*** N*******"


def test_mask_accepts_findings_in_any_order_and_skips_overlaps() -> None:
    text = "abc 123 def"
    findings = [
        Finding(Kind.PHONE, 4, 7, 1.0),
        Finding(Kind.PERSON, 0, 3, 1.0),
        Finding(Kind.PHONE, 5, 6, 1.0),
    ]
    assert mask(text, findings) == "[PERSON] [PHONE] def"


def test_text_without_personal_data_is_unchanged() -> None:
    text = "Ordre 48213377 på 1 299 kr leveres 15.03.2025."
    assert redact(text) == text
