"""How identifiers are shown in SubjectRead."""

from __future__ import annotations

from tillit.subjects.rules import mask_identifier, mask_national_id


def test_national_id_shows_only_last_two_characters() -> None:
    assert mask_national_id("15038510190") == "•••••••••90"
    assert mask_national_id("131052-123U") == "•••••••••3U"


def test_short_values_are_fully_masked() -> None:
    assert mask_national_id("12") == "••"
    assert mask_national_id("") == ""


def test_other_kinds_are_shown_as_stored() -> None:
    assert mask_identifier("email", "ola@example.com") == "ola@example.com"
    assert mask_identifier("national_id", "15038510190").endswith("90")
    assert "150385" not in mask_identifier("national_id", "15038510190")
