"""Evaluate the propensity model on the bank's synthetic data (numbers for docs/propensity-model-card.md).

    .venv/bin/python bench/propensity_eval.py --seeds 40

1. The demo itself: a fresh SQLite database, `load_demo` (bank, 30 customers), every customer consents to
   personalised marketing, then `propensity.train`: its training-set size and metrics as stored.
2. More of the same generator: the bank's `generate(now, seed)` for `--seeds` seeds (30 customers
   each), features and labels built by the same pure functions, a stratified 70/30 split: held-out ROC
   AUC, and the mean predicted probability per gender and age band (which the model never sees), as a
   first fairness check.

No personal data leaves the process; everything here is fictional.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from tillit.config import Settings
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.core.clock import FixedClock
from tillit.marketing import propensity
from tillit.marketing import propensity_features as pf
from tillit.packs.bank import business
from tillit.packs.demo import load_demo
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
SECRET = "bench-secret-not-for-production-0123456789"


def demo_training() -> propensity.ModelInfo:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'demo.sqlite3'}",
            secret_key=SECRET,
            demo_mode=True,
            pack="bank",
        )
        rt = Runtime(settings=settings, clock=FixedClock(NOW))
        try:
            load_demo(rt)
            data = business.generate(NOW)
            with rt.uow.begin() as session:
                for person in data.subjects:
                    found = subjects_service.find_by_identifier(
                        session, "customer_number", person.identifiers["customer_number"], secret=SECRET
                    )
                    assert found is not None
                    consent_service.record_event(
                        session,
                        rt.policy,
                        ConsentEventCreate(
                            subject_id=found.id,
                            purpose=propensity.PURPOSE,
                            action="grant",
                            source="online_bank",
                            actor_type="customer",
                            actor_id=found.id,
                        ),
                        clock=rt.clock,
                    )
            with rt.uow.begin() as session:
                return propensity.train(session, rt.policy, clock=rt.clock, secret=SECRET)
        finally:
            rt.close()


def pooled(seeds: int) -> tuple[Any, Any, list[tuple[str, str]]]:
    """Features, labels and (gender, age band) per customer over many generated banks."""
    rows, labels, groups = [], [], []
    for seed in range(1, seeds + 1):
        data = business.generate(NOW, seed=seed)
        by: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for table in ("bank_marketing_profile", "bank_digital_events", "bank_marketing_send_log"):
            for row in data.rows[table]:
                by[row["customer_number"]][table].append(row)
        for customer in data.rows["bank_customers"]:
            mine = by[customer["customer_number"]]
            sends = mine["bank_marketing_send_log"]
            rows.append(
                pf.vector(
                    pf.build_features(mine["bank_marketing_profile"], mine["bank_digital_events"], sends)
                )
            )
            labels.append(pf.label(sends))
            age = (NOW.date() - customer["birth_date"]).days // 365
            groups.append((customer["gender"], "under 35" if age < 35 else "35-66" if age < 67 else "67+"))
    return np.asarray(rows, dtype=float), np.asarray(labels, dtype=int), groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()

    info = demo_training()
    print(
        f"demo: trained on {info.n_train} consenting customers, {info.n_positive} positive; "
        f"metrics {info.metrics}"
    )

    x, y, groups = pooled(args.seeds)
    idx = np.arange(len(y))
    train_idx, test_idx = train_test_split(idx, test_size=0.3, stratify=y, random_state=propensity.SEED)
    params = propensity.fit(x[train_idx], y[train_idx])
    scores = [pf.probability(params, dict(zip(params.features, x[i], strict=True))) for i in test_idx]
    auc = roc_auc_score(y[test_idx], scores)
    print(f"pooled: {len(y)} customers ({args.seeds} generated banks), positive rate {y.mean():.2f}")
    print(f"pooled: held-out ROC AUC {auc:.3f} on {len(test_idx)} customers")
    coefs = sorted(zip(params.features, params.coefficients, strict=True), key=lambda t: -abs(t[1]))
    print("pooled: largest standardised coefficients: " + ", ".join(f"{n} {c:+.2f}" for n, c in coefs[:5]))
    by_group: dict[str, list[float]] = defaultdict(list)
    for i, s in zip(test_idx, scores, strict=True):
        gender, band = groups[i]
        by_group[f"gender {gender}"].append(s)
        by_group[f"age {band}"].append(s)
    for name in sorted(by_group):
        values = by_group[name]
        print(f"pooled: mean score {name:14} {statistics.mean(values):.3f} (n={len(values)})")


if __name__ == "__main__":
    main()
