"""Pure logic of the propensity model: features from a subject's rows, the label, scoring, explanation.

No I/O, no clock: `propensity.py` reads the rows (through the datasets connector, audited, only for
subjects whose consent covers personalised marketing) and hands them here, so the rules can be unit
tested on plain dicts.

Which columns are features, and which are deliberately not:

- `bank_marketing_profile` (the newest row): balance band, digital activity and life phase as the bank
  computed them, how many products the customer holds, whether one is a savings product, spending on
  housing or travel, and whether the customer asked about mortgages.
- `bank_digital_events`: activity, banner clicks, visits to the mortgage and fund pages, share in the app.
- `bank_marketing_send_log`: how many offers the customer received (exposure). Responses are NOT
  features: a `converted` response is the label, and the other responses would leak it.
- Not used: `gender` and `age_band`, although the policy lists both as data the purpose processes.
  A model that ranks people for credit and savings offers by gender or age would steer who hears about a
  mortgage by a protected characteristic, and nothing in the bank's document needs that. Life phase stays
  (the document names it as the profile it builds); it is partly a proxy for age, which the model card
  says. Contact details, names and national IDs never leave the connector's row dicts.

The model is a standardised logistic regression, so a score's explanation is exact: the log-odds are
the intercept plus, per feature, coefficient × standardised value, and those products are the
contributions shown (top 3 by size, with their sign).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TARGET = "offer_uptake"
"""The label: the customer took up an offered product (a `converted` response in the send log)."""

FEATURES: tuple[str, ...] = (
    "has_profile",
    "balance_band",
    "digital_activity",
    "life_phase_establishing",
    "life_phase_family",
    "life_phase_senior",
    "products_held",
    "holds_savings_product",
    "spends_on_housing",
    "spends_on_travel",
    "asked_about_mortgage",
    "digital_events",
    "banner_clicks",
    "mortgage_page_visits",
    "fund_page_visits",
    "app_share",
    "offers_received",
)
"""Feature names, in the order of the model's coefficients."""

EXCLUDED_COLUMNS: frozenset[str] = frozenset({"gender", "age_band"})
"""Profile columns the model never reads (see the module docstring and the model card)."""

_BALANCE_BANDS = {"0-10k": 0.0, "10k-100k": 1.0, "100k-1m": 2.0, "1m+": 3.0}
_ACTIVITY = {"low": 0.0, "medium": 1.0, "high": 2.0}
_SAVINGS_PRODUCTS = frozenset({"Sparekonto", "BSU", "Fondskonto"})
_MORTGAGE_PAGE = "/lan/boliglan"
_FUND_PAGE = "/sparing/fond"
CONVERTED = "converted"


@dataclass(frozen=True)
class Contribution:
    """One feature's share of a score: its raw value and its signed contribution to the log-odds."""

    feature: str
    value: float
    contribution: float


@dataclass(frozen=True)
class ModelParams:
    """Everything scoring needs, and nothing about any one person: per-feature mean and scale of the
    training set (aggregates), coefficients and intercept. Stored as JSON, never pickled."""

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "means": list(self.means),
            "scales": list(self.scales),
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelParams:
        params = cls(
            features=tuple(str(f) for f in data["features"]),
            means=tuple(float(v) for v in data["means"]),
            scales=tuple(float(v) for v in data["scales"]),
            coefficients=tuple(float(v) for v in data["coefficients"]),
            intercept=float(data["intercept"]),
        )
        sizes = {len(params.features), len(params.means), len(params.scales), len(params.coefficients)}
        if len(sizes) != 1:
            raise ValueError("model parameters have mismatched lengths")
        return params


def _newest(rows: Sequence[Mapping[str, Any]], column: str) -> Mapping[str, Any] | None:
    dated = [r for r in rows if isinstance(r.get(column), datetime)]
    if dated:
        return max(dated, key=lambda r: r[column])
    return rows[-1] if rows else None


def _split(value: object) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def build_features(
    profiles: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    sends: Sequence[Mapping[str, Any]],
) -> dict[str, float]:
    """One subject's feature vector (by name) from their rows in the three datasets.

    A customer without a profile row gets zeros for the profile features and `has_profile` 0, so the
    model learns the difference instead of guessing a band. Gender and age are never read.
    """
    profile = _newest(profiles, "created_at")
    features = dict.fromkeys(FEATURES, 0.0)
    if profile is not None:
        products = _split(profile.get("products_held"))
        spending = _split(profile.get("spending_profile"))
        phase = str(profile.get("life_phase") or "")
        features.update(
            has_profile=1.0,
            balance_band=_BALANCE_BANDS.get(str(profile.get("balance_band")), 0.0),
            digital_activity=_ACTIVITY.get(str(profile.get("digital_activity")), 0.0),
            life_phase_establishing=float(phase == "etablering"),
            life_phase_family=float(phase == "barnefamilie"),
            life_phase_senior=float(phase == "senior"),
            products_held=float(len(products)),
            holds_savings_product=float(any(p in _SAVINGS_PRODUCTS for p in products)),
            spends_on_housing=float("housing" in spending),
            spends_on_travel=float("travel" in spending),
            asked_about_mortgage=float("boliglån" in str(profile.get("contact_topics") or "")),
        )
    if events:
        features.update(
            digital_events=float(len(events)),
            banner_clicks=float(sum(e.get("event_type") == "banner_click" for e in events)),
            mortgage_page_visits=float(sum(e.get("page") == _MORTGAGE_PAGE for e in events)),
            fund_page_visits=float(sum(e.get("page") == _FUND_PAGE for e in events)),
            app_share=sum(e.get("channel") == "app" for e in events) / len(events),
        )
    features["offers_received"] = float(len(sends))
    return features


def label(sends: Iterable[Mapping[str, Any]]) -> int:
    """1 when the customer took up an offered product (any `converted` response), else 0."""
    return int(any(s.get("response") == CONVERTED for s in sends))


def vector(features: Mapping[str, float], names: Sequence[str] = FEATURES) -> list[float]:
    """The features in model order; a name the mapping lacks is a programming error (KeyError)."""
    return [float(features[name]) for name in names]


def contributions(params: ModelParams, features: Mapping[str, float]) -> list[Contribution]:
    """Every feature's contribution to the log-odds: coefficient × (value − mean) / scale."""
    result: list[Contribution] = []
    for name, mean, scale, coef in zip(
        params.features, params.means, params.scales, params.coefficients, strict=True
    ):
        value = float(features[name])
        standardised = (value - mean) / scale if scale > 0 else 0.0
        result.append(Contribution(feature=name, value=value, contribution=coef * standardised))
    return result


def probability(params: ModelParams, features: Mapping[str, float]) -> float:
    """The model's probability: the logistic function of intercept + the contributions."""
    logit = params.intercept + sum(c.contribution for c in contributions(params, features))
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    odds = math.exp(logit)
    return odds / (1.0 + odds)


def top_features(params: ModelParams, features: Mapping[str, float], k: int = 3) -> list[Contribution]:
    """The `k` features that moved this score most, by absolute contribution (ties by name), with sign.

    Features with no contribution at all are left out: they explain nothing.
    """
    ranked = sorted(contributions(params, features), key=lambda c: (-abs(c.contribution), c.feature))
    return [c for c in ranked if c.contribution != 0.0][:k]
