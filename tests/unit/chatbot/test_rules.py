"""Pure chatbot rules: normalisation, shipment numbers with check digits, the dialogue decision, the
threshold choice and the evaluation metrics."""

from __future__ import annotations

import pytest

from tillit.chatbot import rules
from tillit.chatbot.schemas import OUT_OF_SCOPE


def test_fold_strips_nordic_diacritics_the_way_people_type_without_them() -> None:
    assert rules.fold("Blåbær på Østerbro") == "blabaer pa osterbro"
    assert rules.fold("Hämta försändelsen") == "hamta forsandelsen"
    assert rules.fold("Ærø") == "aero"


def test_normalise_replaces_emails_links_shipment_numbers_and_numbers_with_placeholders() -> None:
    text = "Pakke CP123456785NO til ola.nordmann@example.com, se https://example.com/x, ring 912 34 567"
    got = rules.normalise(text)
    assert got == (
        f"pakke {rules.TRACKING_MARK} til {rules.EMAIL_MARK} , se {rules.URL_MARK} ring {rules.NUMBER_MARK}"
    )
    assert "123" not in got and "@" not in got


def test_normalise_recognises_an_sscc_with_spaces_as_one_shipment_number() -> None:
    assert rules.normalise("nr 3707 0123 9758 3632 73 ok") == f"nr {rules.TRACKING_MARK} ok"


def test_normalise_folded_view_matches_text_without_diacritics() -> None:
    assert rules.normalise_folded("Hvor er pakken på 5 kg?") == rules.normalise_folded(
        "hvor er pakken pa 5 kg?"
    )


@pytest.mark.parametrize(
    ("serial", "check"),
    [("12345678", "5"), ("47312482", "9"), ("00000000", "5"), ("00000001", "4")],
)
def test_s10_check_digit(serial: str, check: str) -> None:
    assert rules.s10_check_digit(serial) == check


def test_s10_check_digit_agrees_with_the_parcel_packs_demo_data() -> None:
    """The bot must accept every number the pack's data generator makes (and nothing else)."""
    from tillit.packs.parcel.tracking import s10_check_digit as packs_check_digit

    for n in range(0, 99_999_999, 7_654_321):
        assert rules.s10_check_digit(f"{n:08d}") == packs_check_digit(f"{n:08d}")


def test_s10_check_digit_maps_ten_to_zero() -> None:
    # weighted sum 1*8 = 8 -> 11 - 8 % 11 = 3; find a serial whose remainder is 1 (11 - 1 = 10 -> 0)
    serial = next(
        f"{n:08d}"
        for n in range(1000)
        if sum(int(d) * w for d, w in zip(f"{n:08d}", rules.S10_WEIGHTS, strict=True)) % 11 == 1
    )
    assert rules.s10_check_digit(serial) == "0"


def test_find_shipment_numbers_tells_valid_from_mistyped() -> None:
    found = rules.find_shipment_numbers("hvor er CP123456785NO og rr 123 456 784 no?")
    assert [(f.number, f.kind, f.valid) for f in found] == [
        ("CP123456785NO", "s10", True),
        ("RR123456784NO", "s10", False),
    ]


def test_find_shipment_numbers_checks_the_sscc_check_digit() -> None:
    valid = "370701239758363273"
    assert rules.is_valid_sscc(valid)
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    found = rules.find_shipment_numbers(f"first {valid} then {wrong}")
    assert [(f.kind, f.valid) for f in found] == [("sscc", True), ("sscc", False)]


def test_find_shipment_numbers_ignores_phone_numbers_and_short_numbers() -> None:
    assert rules.find_shipment_numbers("ring meg på 912 34 567 eller +46 70 123 45 67, kode 1234") == []


def test_mostly_a_number() -> None:
    assert rules.mostly_a_number("CP123456785NO")
    assert rules.mostly_a_number("nummer CP123456785NO takk")
    assert not rules.mostly_a_number("pakken CP123456785NO kom frem helt knust i går")


def test_decide_answers_above_threshold_and_declines_out_of_scope() -> None:
    assert rules.decide("track", 0.8, 0.4, failed_turns=0) == "answer"
    assert rules.decide(OUT_OF_SCOPE, 0.8, 0.4, failed_turns=3) == "out_of_scope"


def test_decide_below_threshold_rephrase_first_then_offer_a_human() -> None:
    assert rules.decide("track", 0.39, 0.4, failed_turns=0) == "rephrase"
    assert rules.decide("track", 0.39, 0.4, failed_turns=1) == "offer_human"
    assert rules.decide(OUT_OF_SCOPE, 0.2, 0.4, failed_turns=2) == "offer_human"


def test_choose_threshold_drops_confidently_wrong_answers() -> None:
    probs = [0.9, 0.8, 0.35, 0.3, 0.25]
    predicted = ["a", "b", "a", "b", "a"]
    expected = ["a", "b", "b", "a", "a"]
    # answering everything: 3 right - 2 wrong = 1; threshold 0.4: 2 right = 2 (best); 0.3 would answer 4
    assert rules.choose_threshold(probs, predicted, expected) == 0.4


def test_choose_threshold_prefers_the_lowest_of_equal_thresholds() -> None:
    assert rules.choose_threshold([0.9, 0.95], ["a", "b"], ["a", "b"]) == 0.05


def test_evaluate_counts_top1_confusions_and_out_of_scope_precision_recall() -> None:
    expected = ["track", "track", "customs", OUT_OF_SCOPE, OUT_OF_SCOPE]
    predicted = ["track", "customs", "customs", OUT_OF_SCOPE, "track"]
    confidences = [0.9, 0.9, 0.2, 0.9, 0.9]
    report = rules.evaluate(expected, predicted, confidences, threshold=0.4)
    assert report.total == 5
    assert report.top1_accuracy == pytest.approx(3 / 5)
    # customs at 0.2 is below the threshold: the bot would not answer it (counted as out of scope)
    assert report.answer_accuracy == pytest.approx(2 / 5)
    assert report.per_topic == {"track": (1, 2), "customs": (1, 1), OUT_OF_SCOPE: (1, 2)}
    assert report.confusions[0][2] == 1 and ("track", "customs", 1) in report.confusions
    assert report.oos_precision == pytest.approx(1 / 2)
    assert report.oos_recall == pytest.approx(1 / 2)
    assert report.to_dict()["top1_accuracy"] == 0.6
