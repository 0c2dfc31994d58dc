"""Feature building and score explanation of the propensity model (pure functions, no I/O)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tillit.marketing import propensity_features as pf

OLD = datetime(2024, 1, 1, tzinfo=UTC)
NEW = datetime(2025, 6, 1, tzinfo=UTC)


def profile(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "created_at": NEW,
        "age_band": "30-39",
        "gender": "F",
        "life_phase": "barnefamilie",
        "products_held": "Brukskonto,Fondskonto",
        "balance_band": "100k-1m",
        "spending_profile": "housing,travel",
        "digital_activity": "high",
        "contact_topics": "boliglån",
    }
    row.update(overrides)
    return row


def test_features_from_the_newest_profile_events_and_sends() -> None:
    old = profile(created_at=OLD, balance_band="0-10k", life_phase="senior")
    events = [
        {"event_type": "banner_click", "page": "/lan/boliglan", "channel": "app"},
        {"event_type": "page_view", "page": "/sparing/fond", "channel": "web"},
        {"event_type": "page_view", "page": "/lan/boliglan", "channel": "app"},
        {"event_type": "feature_use", "page": "/kort/kredittkort", "channel": "online_bank"},
    ]
    sends = [{"response": "opened"}, {"response": "converted"}, {"response": "none"}]
    features = pf.build_features([profile(), old], events, sends)
    assert features["has_profile"] == 1.0
    assert features["balance_band"] == 2.0  # the newest profile wins over the older one
    assert features["life_phase_family"] == 1.0 and features["life_phase_senior"] == 0.0
    assert features["digital_activity"] == 2.0
    assert features["products_held"] == 2.0 and features["holds_savings_product"] == 1.0
    assert features["spends_on_housing"] == 1.0 and features["spends_on_travel"] == 1.0
    assert features["asked_about_mortgage"] == 1.0
    assert features["digital_events"] == 4.0 and features["banner_clicks"] == 1.0
    assert features["mortgage_page_visits"] == 2.0 and features["fund_page_visits"] == 1.0
    assert features["app_share"] == pytest.approx(0.5)
    assert features["offers_received"] == 3.0
    assert set(features) == set(pf.FEATURES)


def test_gender_and_age_never_change_the_features() -> None:
    a = pf.build_features([profile(gender="F", age_band="20-29")], [], [])
    b = pf.build_features([profile(gender="M", age_band="70-79")], [], [])
    assert a == b
    assert not pf.EXCLUDED_COLUMNS & set(pf.FEATURES)


def test_no_profile_means_zeros_and_a_flag() -> None:
    features = pf.build_features([], [], [])
    assert features["has_profile"] == 0.0
    assert all(v == 0.0 for v in features.values())


def test_label_is_a_converted_response_and_responses_are_not_features() -> None:
    assert pf.label([{"response": "opened"}, {"response": "converted"}]) == 1
    assert pf.label([{"response": "clicked"}, {"response": "opted_out"}]) == 0
    assert pf.label([]) == 0
    converted = pf.build_features([], [], [{"response": "converted"}])
    ignored = pf.build_features([], [], [{"response": "none"}])
    assert converted == ignored


def params() -> pf.ModelParams:
    return pf.ModelParams(
        features=("a", "b", "c", "d"),
        means=(1.0, 0.0, 10.0, 5.0),
        scales=(2.0, 1.0, 5.0, 1.0),
        coefficients=(1.5, -2.0, 0.1, 0.0),
        intercept=-0.5,
    )


def test_explanation_is_coefficient_times_standardised_value_with_sign() -> None:
    features = {"a": 3.0, "b": 1.0, "c": 15.0, "d": 9.0}
    top = pf.top_features(params(), features)
    # a: 1.5 * (3-1)/2 = 1.5; b: -2 * 1 = -2.0; c: 0.1 * 1 = 0.1; d: coefficient 0 explains nothing
    assert [(c.feature, round(c.contribution, 6)) for c in top] == [("b", -2.0), ("a", 1.5), ("c", 0.1)]
    assert top[0].value == 1.0
    logit = -0.5 + 1.5 - 2.0 + 0.1
    assert pf.probability(params(), features) == pytest.approx(1 / (1 + math.exp(-logit)))


def test_top_k_and_extreme_logits() -> None:
    assert len(pf.top_features(params(), {"a": 3.0, "b": 1.0, "c": 15.0, "d": 9.0}, k=1)) == 1
    huge = {"a": 1e6, "b": 0.0, "c": 10.0, "d": 5.0}
    assert pf.probability(params(), huge) == pytest.approx(1.0)
    assert pf.probability(params(), {"a": -1e6, "b": 0.0, "c": 10.0, "d": 5.0}) == pytest.approx(0.0)


def test_params_round_trip_and_reject_mismatched_lengths() -> None:
    assert pf.ModelParams.from_json(params().to_json()) == params()
    broken = params().to_json() | {"means": [0.0]}
    with pytest.raises(ValueError, match="mismatched"):
        pf.ModelParams.from_json(broken)
