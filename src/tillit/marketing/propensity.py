"""Propensity scoring that exists only for people whose consent covers it (issue 6 §5).

The bank's personalised-marketing purpose promises prediction models "only with consent", withdrawable at
any time. So both ends of the model check consent, each at the moment it matters:

- `train` selects the consenting subjects in SQL (`consent.service.allowed_subject_ids`, restricted
  subjects excluded there too) in the training's own transaction, and reads the bank's rows only for
  them, through the datasets connector under the personalised-marketing purpose (each read audited).
  A subject who withdrew is not in the next training.
- `score` asks `consent.service.may_use` at call time and refuses (`PurposeNotAllowedError`) without a
  current grant, so a model trained before a withdrawal never scores the withdrawn person. Scores are not
  stored: they are personal data, and one that is never written needs no hold, no deletion on
  withdrawal, and cannot go stale.

The model itself (`analytics_models.PropensityModel`) keeps only aggregates of at least
`MIN_TRAINING_SUBJECTS` people; see `docs/propensity-model-card.md` for what it is and is not good for.
Functions take the caller's `session` and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import numpy as np
from pydantic import BaseModel
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold, train_test_split  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.core.clock import Clock
from tillit.core.errors import NotFoundError, PurposeNotAllowedError, ValidationFailedError
from tillit.core.ids import new_id
from tillit.datasets import service as datasets_service
from tillit.marketing import propensity_features as pf
from tillit.marketing.analytics_models import PropensityModel
from tillit.policy.schema import Dataset, Policy
from tillit.subjects import service as subjects_service

PURPOSE = "personalised_marketing"
"""The bank purpose whose consent covers "prediction models that calculate the probability of an action"."""
PROFILE_DATASET, EVENTS_DATASET, SENDS_DATASET = "marketing_profile", "digital_events", "marketing_send_log"
MIN_TRAINING_SUBJECTS = 10
"""Fewer consenting people than this and the model's means would describe individuals, not a group."""
SEED = 17
DEFAULT_ACTOR = Actor(type="job", id="propensity")


class FeatureContribution(BaseModel):
    feature: str
    value: float
    contribution: float
    """Signed share of the log-odds: positive raised the probability, negative lowered it."""


class ModelInfo(BaseModel):
    id: str
    target: str
    purpose: str
    trained_at: datetime
    n_train: int
    n_positive: int
    features: list[str]
    metrics: dict[str, float]


class Score(BaseModel):
    subject_id: str
    model_id: str
    probability: float
    top_features: list[FeatureContribution]


def train(
    session: Session,
    policy: Policy,
    *,
    clock: Clock,
    secret: str,
    purpose: str = PURPOSE,
    actor: Actor = DEFAULT_ACTOR,
) -> ModelInfo:
    """Train on exactly the subjects whose consent covers `purpose` now; store and return the model.

    Raises ValidationFailedError when fewer than MIN_TRAINING_SUBJECTS consenting customers have bank
    data, or when all of them share one label (there is nothing to learn).
    """
    datasets = _datasets(policy, purpose)
    subject_ids = list(session.scalars(_consenting(policy, purpose)).all())
    rows: list[list[float]] = []
    labels: list[int] = []
    for subject_id in sorted(subject_ids):
        found = _subject_rows(session, policy, datasets, subject_id, purpose, actor, clock, secret)
        if found is None:
            continue
        profiles, events, sends = found
        rows.append(pf.vector(pf.build_features(profiles, events, sends)))
        labels.append(pf.label(sends))
    n_positive = sum(labels)
    if len(rows) < MIN_TRAINING_SUBJECTS:
        raise ValidationFailedError(
            f"only {len(rows)} consenting customers have data for '{purpose}'; "
            f"a model needs at least {MIN_TRAINING_SUBJECTS}",
            details={"purpose": purpose, "subjects": len(rows)},
        )
    if n_positive in (0, len(rows)):
        raise ValidationFailedError(
            "every consenting customer has the same outcome; there is nothing to learn",
            details={"purpose": purpose, "subjects": len(rows)},
        )
    x, y = np.asarray(rows, dtype=float), np.asarray(labels, dtype=int)
    with threadpool_limits(limits=1):
        metrics = evaluate(x, y)
        params = fit(x, y)
    now = clock.now()
    model = PropensityModel(
        id=new_id(),
        target=pf.TARGET,
        purpose=purpose,
        policy_version=policy.version,
        trained_at=now,
        trained_by=actor.id,
        n_train=len(rows),
        n_positive=n_positive,
        params=params.to_json(),
        metrics=metrics,
    )
    session.add(model)
    session.flush()
    audit_service.record_as(
        session,
        actor,
        "propensity.train",
        purpose=purpose,
        record_type="propensity_model",
        record_id=model.id,
        detail={"subjects": len(rows), "positive": n_positive, "consenting": len(subject_ids)},
        clock=clock,
    )
    return _info(model)


def fit(x: Any, y: Any) -> pf.ModelParams:
    """Standardise, fit a balanced L2 logistic regression, and keep only its parameters."""
    scaler = StandardScaler().fit(x)
    model = _classifier().fit(scaler.transform(x), y)
    scales = [float(s) if s > 0 else 1.0 for s in scaler.scale_]
    return pf.ModelParams(
        features=pf.FEATURES,
        means=tuple(float(m) for m in scaler.mean_),
        scales=tuple(scales),
        coefficients=tuple(float(c) for c in model.coef_[0]),
        intercept=float(model.intercept_[0]),
    )


def evaluate(x: Any, y: Any) -> dict[str, float]:
    """ROC AUC on a stratified 30 % held-out split, and the mean over stratified folds, when each class
    has enough people for it; empty otherwise (a metric from three people would only mislead)."""
    smallest = int(min(np.sum(y == 1), np.sum(y == 0)))
    metrics: dict[str, float] = {"subjects": float(len(y)), "positive_rate": float(np.mean(y))}
    if smallest < 4:
        return metrics
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=SEED)
    if len(set(y_test.tolist())) == 2 and len(set(y_train.tolist())) == 2:
        metrics["holdout_roc_auc"] = round(
            float(roc_auc_score(y_test, _predict(fit(x_train, y_train), x_test))), 4
        )
        metrics["holdout_size"] = float(len(y_test))
    folds = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=SEED)
    aucs = [
        float(roc_auc_score(y[test], _predict(fit(x[train_idx], y[train_idx]), x[test])))
        for train_idx, test in folds.split(x, y)
        if len(set(y[test].tolist())) == 2
    ]
    if aucs:
        metrics["cv_roc_auc"] = round(float(np.mean(aucs)), 4)
        metrics["cv_folds"] = float(len(aucs))
    return metrics


def score(
    session: Session,
    policy: Policy,
    subject_id: str,
    *,
    clock: Clock,
    secret: str,
    purpose: str = PURPOSE,
    actor: Actor = DEFAULT_ACTOR,
) -> Score:
    """The subject's probability with its top 3 features, if their consent covers `purpose` now.

    Raises PurposeNotAllowedError (with the consent decision's reason) without a current grant, checked
    before any of the subject's data is read; NotFoundError when no model is trained yet.
    """
    decision = consent_service.may_use(session, policy, subject_id, purpose, None)
    if not decision.allowed:
        raise PurposeNotAllowedError(
            f"purpose '{purpose}' may not score this subject ({decision.reason})",
            details={"purpose": purpose, "reason": decision.reason},
        )
    result = _score_one(session, policy, _latest(session, purpose), subject_id, purpose, actor, clock, secret)
    if result is None:
        raise NotFoundError("the bank has no data for this subject to score", details={"purpose": purpose})
    return result


def score_audience(
    session: Session,
    policy: Policy,
    *,
    clock: Clock,
    secret: str,
    candidates: Select[str] | None = None,
    purpose: str = PURPOSE,
    actor: Actor = DEFAULT_ACTOR,
    limit: int | None = None,
) -> list[Score]:
    """Scores of the consenting subjects among `candidates` (None: everyone consenting), highest first.

    The consent filter is the SQL of `consent.service.allowed_subject_ids`, evaluated now; subjects with
    no bank data are left out.
    """
    params_model = _latest(session, purpose)
    datasets = _datasets(policy, purpose)
    ids = session.scalars(_consenting(policy, purpose, candidates)).all()
    scores = []
    for subject_id in sorted(ids):
        result = _score_one(
            session, policy, params_model, subject_id, purpose, actor, clock, secret, datasets
        )
        if result is not None:
            scores.append(result)
    scores.sort(key=lambda s: (-s.probability, s.subject_id))
    return scores[:limit] if limit is not None else scores


def latest_model(session: Session, purpose: str = PURPOSE) -> ModelInfo | None:
    """The model that scores now, or None."""
    model = _latest_or_none(session, purpose)
    return _info(model) if model is not None else None


def _consenting(policy: Policy, purpose: str, candidates: Select[str] | None = None) -> Select[str]:
    """Subjects whose consent covers the purpose as a whole (the all-channels grant)."""
    return consent_service.allowed_subject_ids(policy, purpose, None, candidates)


def _datasets(policy: Policy, purpose: str) -> tuple[Dataset, Dataset, Dataset]:
    policy.purpose(purpose)
    found: list[Dataset] = []
    for dataset_id in (PROFILE_DATASET, EVENTS_DATASET, SENDS_DATASET):
        dataset = next((d for d in policy.datasets if d.id == dataset_id), None)
        if dataset is None or purpose not in dataset.purposes:
            raise ValidationFailedError(
                f"the policy declares no dataset '{dataset_id}' for '{purpose}'; "
                "this pack has no data for a propensity model",
                details={"dataset": dataset_id, "purpose": purpose},
            )
        found.append(dataset)
    return found[0], found[1], found[2]


def _subject_rows(
    session: Session,
    policy: Policy,
    datasets: tuple[Dataset, Dataset, Dataset],
    subject_id: str,
    purpose: str,
    actor: Actor,
    clock: Clock,
    secret: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] | None:
    """The subject's rows in the three datasets (read under `purpose`, audited), matched by customer
    number only; None for a subject the bank has no customer number for."""
    numbers = subjects_service.identities_of(session, subject_id, secret=secret).get("customer_number", [])
    if not numbers:
        return None
    identities = {"customer_number": numbers}
    region = policy.organisation.country
    found = [
        datasets_service.select_rows(
            session,
            dataset,
            identities,
            actor=actor,
            purpose=purpose,
            clock=clock,
            default_region=region,
            subject_id=subject_id,
        )
        for dataset in datasets
    ]
    return found[0], found[1], found[2]


def _score_one(
    session: Session,
    policy: Policy,
    model: PropensityModel,
    subject_id: str,
    purpose: str,
    actor: Actor,
    clock: Clock,
    secret: str,
    datasets: tuple[Dataset, Dataset, Dataset] | None = None,
) -> Score | None:
    """Score one subject whose consent the caller checked; None when the bank has no data on them."""
    chosen = datasets or _datasets(policy, purpose)
    found = _subject_rows(session, policy, chosen, subject_id, purpose, actor, clock, secret)
    if found is None:
        return None
    profiles, events, sends = found
    params = pf.ModelParams.from_json(model.params)
    features = pf.build_features(profiles, events, sends)
    result = Score(
        subject_id=subject_id,
        model_id=model.id,
        probability=round(pf.probability(params, features), 6),
        top_features=[
            FeatureContribution(feature=c.feature, value=c.value, contribution=round(c.contribution, 6))
            for c in pf.top_features(params, features)
        ],
    )
    audit_service.record_as(
        session,
        actor,
        "propensity.score",
        purpose=purpose,
        subject_id=subject_id,
        record_type="propensity_model",
        record_id=model.id,
        clock=clock,
    )
    return result


def _latest_or_none(session: Session, purpose: str) -> PropensityModel | None:
    stmt = (
        select(PropensityModel)
        .where(PropensityModel.purpose == purpose, PropensityModel.target == pf.TARGET)
        .order_by(PropensityModel.trained_at.desc(), PropensityModel.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _latest(session: Session, purpose: str) -> PropensityModel:
    model = _latest_or_none(session, purpose)
    if model is None:
        raise NotFoundError("no propensity model is trained yet; run `tillit propensity train`")
    return model


def _classifier() -> Any:
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000, random_state=SEED)


def _predict(params: pf.ModelParams, x: Any) -> list[float]:
    return [
        pf.probability(params, dict(zip(params.features, row, strict=True))) for row in cast(Sequence[Any], x)
    ]


def _info(model: PropensityModel) -> ModelInfo:
    return ModelInfo(
        id=model.id,
        target=model.target,
        purpose=model.purpose,
        trained_at=model.trained_at,
        n_train=model.n_train,
        n_positive=model.n_positive,
        features=list(model.params.get("features", [])),
        metrics={k: float(v) for k, v in (model.metrics or {}).items()},
    )
