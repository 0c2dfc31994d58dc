"""`tillit marketing ...`: list campaigns, dry-run one, send one into the outbox, run the dispatcher.

Thin: each command builds the runtime and calls the marketing services as the `cli` job actor (audited
like the console). Tables go to stdout.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from tillit.audit.schemas import Actor
from tillit.marketing import dispatcher, service
from tillit.marketing.ports import default_ports
from tillit.runtime import build_runtime

app = typer.Typer(
    help="Marketing: campaigns, dry runs, sending and the outbox dispatcher.", no_args_is_help=True
)
out = Console()
ACTOR = Actor.job("cli")


@app.command("list")
def list_campaigns() -> None:
    """Every campaign, newest first, with its outbox counts."""
    runtime = build_runtime()
    table = Table("id", "name", "kind", "purpose", "channel", "status", "outbox")
    with runtime.uow.read() as session:
        for c in service.list_campaigns(session):
            counts = service.outbox_counts(session, c.id)
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"
            table.add_row(c.id, c.name, c.kind, c.purpose, c.channel, c.status, summary)
    out.print(table)


@app.command("dry-run")
def dry_run(
    campaign_id: str = typer.Argument(..., help="The campaign's id (see `tillit marketing list`)."),
) -> None:
    """Who the campaign would reach now, and why everyone else is excluded. Sends nothing."""
    runtime = build_runtime()
    with runtime.uow.begin() as session:
        result = service.dry_run(session, runtime.policy, campaign_id, actor=ACTOR, clock=runtime.clock)
    table = Table("reason", "subjects", "in the audience")
    for reason, count in sorted(result.included_reasons.items()):
        table.add_row(reason, str(count), "yes")
    for reason, count in result.excluded.items():
        table.add_row(reason, str(count), "no")
    out.print(table)
    out.print(f"candidates {result.candidates}, included {result.included}")


@app.command()
def send(campaign_id: str = typer.Argument(..., help="The campaign's id.")) -> None:
    """Queue the campaign for its audience as decided now (the dispatcher delivers)."""
    runtime = build_runtime()
    with runtime.uow.begin() as session:
        result = service.send(session, runtime.policy, campaign_id, actor=ACTOR, clock=runtime.clock)
    excluded = ", ".join(f"{k} {v}" for k, v in result.excluded.items()) or "none"
    out.print(f"queued {result.queued}; excluded: {excluded}")


@app.command()
def dispatch(
    batch_size: int = typer.Option(100, min=1, help="Messages per run."),
    max_attempts: int = typer.Option(5, min=1, help="Attempts before a message is marked failed."),
) -> None:
    """Deliver the due outbox messages (SMTP for e-mail; SMS and inbox through the configured ports)."""
    runtime = build_runtime()
    result = dispatcher.dispatch(
        runtime.uow,
        runtime.policy,
        default_ports(runtime.settings),
        secret=runtime.settings.secret_key,
        clock=runtime.clock,
        batch_size=batch_size,
        max_attempts=max_attempts,
    )
    out.print(", ".join(f"{k} {v}" for k, v in result.model_dump().items()))
