"""`tillit audit` commands: verify the chain, show the newest events, reseal a damaged head."""

from __future__ import annotations

import json

import typer

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.runtime import build_runtime

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def verify(
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Rows read per query"),
) -> None:
    """Walk the whole chain; print OK with the count, or the first break and exit 1."""
    runtime = build_runtime()
    try:
        with runtime.uow.read() as session:
            result = audit_service.verify(session, batch_size=batch_size)
    finally:
        runtime.close()
    if not result.ok:
        typer.echo(f"error: {result.message}", err=True)
        raise typer.Exit(1)
    typer.echo(result.message)


@app.command("tail")
def tail(n: int = typer.Option(20, "-n", "--lines", min=1, help="How many of the newest events")) -> None:
    """Print the newest events, oldest first (ids and counts only; the log holds no content)."""
    runtime = build_runtime()
    try:
        with runtime.uow.read() as session:
            events = audit_service.tail(session, n)
    finally:
        runtime.close()
    for event in events:
        record = f"{event.record_type}/{event.record_id}" if event.record_type else "-"
        typer.echo(
            f"{event.seq:>8}  {event.at:%Y-%m-%d %H:%M:%S}Z  {event.actor_type}:{event.actor_id}  "
            f"{event.action}  purpose={event.purpose or '-'}  subject={event.subject_id or '-'}  "
            f"record={record}  {json.dumps(event.detail, sort_keys=True, ensure_ascii=False)}"
        )


@app.command("reseal")
def reseal(
    operator: str = typer.Option(..., "--operator", help="Who reseals (recorded in the log)"),
    yes: bool = typer.Option(False, "--yes", help="Confirm: you investigated the verify finding"),
) -> None:
    """Re-anchor a missing or wrong head at the last row after investigating; breaks stay visible."""
    if not yes:
        typer.echo(
            "error: resealing hides a truncation from future checks; pass --yes once investigated", err=True
        )
        raise typer.Exit(2)
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            event = audit_service.reseal(session, actor=Actor.staff(operator), clock=runtime.clock)
    finally:
        runtime.close()
    typer.echo(f"head resealed; recorded as seq {event.seq}")
