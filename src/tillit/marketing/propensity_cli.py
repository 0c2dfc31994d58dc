"""`tillit propensity train|score|audience|matching-purge`: the consent-gated propensity model and the
customer-matching purge from the command line (thin: the logic and its audit rows are in the services).

Scores print as JSON with their top features; nothing is written for a score (scores are not stored).
"""

from __future__ import annotations

import json

import typer

from tillit.audit.schemas import Actor
from tillit.marketing import matching, propensity
from tillit.runtime import build_runtime

app = typer.Typer(
    help="Propensity scores only with personalised-marketing consent; customer-matching purge.",
    no_args_is_help=True,
)
_ACTOR = Actor(type="job", id="propensity-cli")


@app.command("train")
def train() -> None:
    """Train on the subjects whose consent covers personalised marketing now; print the model's summary."""
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            info = propensity.train(
                session, runtime.policy, clock=runtime.clock, secret=runtime.settings.secret_key, actor=_ACTOR
            )
        typer.echo(info.model_dump_json(indent=2))
    finally:
        runtime.close()


@app.command("score")
def score(subject_id: str = typer.Argument(..., help="The subject's id")) -> None:
    """The subject's probability and top 3 features; exit 1 when their consent does not cover it."""
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            result = propensity.score(
                session,
                runtime.policy,
                subject_id,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
                actor=_ACTOR,
            )
        typer.echo(result.model_dump_json(indent=2))
    finally:
        runtime.close()


@app.command("audience")
def audience(top: int = typer.Option(10, "--top", min=1, help="How many of the highest scores")) -> None:
    """The highest scores among the consenting subjects, as JSON lines."""
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            scores = propensity.score_audience(
                session,
                runtime.policy,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
                actor=_ACTOR,
                limit=top,
            )
        for item in scores:
            typer.echo(json.dumps(item.model_dump(mode="json"), ensure_ascii=False))
    finally:
        runtime.close()


@app.command("matching-purge")
def matching_purge() -> None:
    """Delete customer-matching exports that are matched, past their time to live, or no longer held."""
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            deleted = matching.purge_expired(session, runtime.clock)
        typer.echo(f"deleted {deleted} matching export(s)")
    finally:
        runtime.close()
