"""`tillit rights ...`: list, show, preview, execute and package data-subject requests.

Thin: every command builds the runtime and calls `rights.service` in one transaction; the DPO console
does the same through the web. Tables go to stdout (rich), errors become one line and exit code 1
(`tillit.cli.main`). `execute` queues processor webhooks in the execution's transaction (the outbox of
`rights.webhooks`, as the console does) and tries to deliver them right after, so a CLI run and a
console click leave the same evidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer
from rich.console import Console
from rich.table import Table

from tillit.core.errors import ConflictError
from tillit.rights import service, webhooks
from tillit.rights.schemas import REQUEST_TYPES, STATUSES, RequestRead, RequestType, Status, TableLine
from tillit.runtime import Runtime, build_runtime

app = typer.Typer(help="Data-subject requests: list, preview, execute, package.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _runtime() -> Runtime:
    return build_runtime()


def _request_table(rows: list[RequestRead], title: str) -> Table:
    table = Table(title=title)
    for name in ("id", "type", "status", "channel", "received", "due", "flags"):
        table.add_column(name)
    for r in rows:
        flags = ", ".join(f for f, on in (("OVERDUE", r.overdue), ("due soon", r.due_soon)) if on)
        table.add_row(
            r.id,
            r.type,
            r.status,
            r.channel,
            r.received_at.date().isoformat(),
            r.due_at.date().isoformat(),
            flags,
        )
    return table


def _lines_table(lines: list[TableLine], title: str) -> Table:
    table = Table(title=title)
    for name in ("source", "kind", "table", "found", "exported", "changed", "deleted", "kept", "why kept"):
        table.add_column(name, justify="right" if name in ("found", "changed", "deleted", "kept") else "left")
    for line in lines:
        table.add_row(
            line.source,
            line.record_type,
            line.table,
            str(line.found),
            str(line.exported),
            str(line.changed),
            str(line.deleted),
            str(line.kept),
            "; ".join(line.kept_reasons),
        )
    return table


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help=f"Only requests with this status ({', '.join(STATUSES)})."),
    type_: str | None = typer.Option(None, "--type", help=f"Only this type ({', '.join(REQUEST_TYPES)})."),
    overdue: bool | None = typer.Option(None, "--overdue/--not-overdue", help="Only (not) overdue ones."),
) -> None:
    """Requests by deadline, soonest first."""
    runtime = _runtime()
    try:
        with runtime.uow.begin() as session:
            rows = service.list_requests(
                session,
                status=cast(Status | None, status),  # checked by the service: a clear error, exit 1
                type=cast(RequestType | None, type_),
                overdue=overdue,
                clock=runtime.clock,
            )
    finally:
        runtime.close()
    out.print(_request_table(rows, f"{len(rows)} rights request(s)"))


@app.command()
def show(request_id: str) -> None:
    """One request: its clock, and the evidence once executed."""
    runtime = _runtime()
    try:
        with runtime.uow.begin() as session:
            request = service.get(session, request_id, clock=runtime.clock)
            evidence = service.evidence(session, request_id)
    finally:
        runtime.close()
    out.print(_request_table([request], f"request {request.id}"))
    if request.extended_until is not None:
        out.print(f"extended until {request.extended_until.date().isoformat()}: {request.extension_reason}")
    if request.rejected_reason:
        out.print(f"rejected: {request.rejected_reason}")
    if evidence:
        table = Table(title="evidence")
        for name in ("at", "step", "kind", "counts", "reasons"):
            table.add_column(name)
        for e in evidence:
            table.add_row(
                e.created_at.isoformat(timespec="seconds"),
                e.step,
                e.record_type or "",
                ", ".join(f"{k}={v}" for k, v in sorted(e.counts.items())),
                "; ".join(e.reasons),
            )
        out.print(table)


@app.command()
def preview(request_id: str) -> None:
    """What executing the request would find and do, per table and dataset (changes nothing)."""
    runtime = _runtime()
    try:
        with runtime.uow.begin() as session:
            result = service.preview(
                session, runtime.policy, request_id, clock=runtime.clock, secret=runtime.settings.secret_key
            )
    finally:
        runtime.close()
    out.print(_lines_table(result.lines, f"preview of {result.request.type} request {request_id}"))
    for action in result.actions:
        out.print(f"- {action}")


@app.command()
def execute(
    request_id: str,
    actor: str = typer.Option(..., "--actor", help="Who executes it (a staff id or name), for the audit."),
) -> None:
    """Carry the request out, write its evidence and complete it; processors are told by webhook."""
    runtime = _runtime()
    secret = runtime.settings.secret_key
    try:
        with runtime.uow.begin() as session:
            notifier = webhooks.WebhookNotifier(session, runtime.policy, runtime.clock)
            evidence = service.execute(
                session,
                runtime.policy,
                request_id,
                actor=actor if ":" in actor else f"staff:{actor}",
                clock=runtime.clock,
                secret=secret,
                notifier=notifier,
            )
        if notifier.queued:
            with runtime.uow.begin() as session:
                webhooks.deliver_pending(
                    session, runtime.clock, webhooks.UrllibPoster(timeout=5), secret=secret
                )
    finally:
        runtime.close()
    out.print(_lines_table(evidence.lines, f"executed {evidence.request.type} request {request_id}"))
    if evidence.notified:
        out.print(f"processors notified: {', '.join(evidence.notified)}")


@app.command()
def package(
    request_id: str,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the zip file."),
) -> None:
    """Write the access package (access requests) or the portability package (portability requests)."""
    runtime = _runtime()
    secret = runtime.settings.secret_key
    try:
        with runtime.uow.begin() as session:
            request = service.get(session, request_id, clock=runtime.clock)
            if request.type == "access":
                data = service.access_package(
                    session, runtime.policy, request_id, clock=runtime.clock, secret=secret
                )
            elif request.type == "portability":
                data = service.portability_package(
                    session, runtime.policy, request_id, clock=runtime.clock, secret=secret
                )
            else:
                raise ConflictError(f"a {request.type} request has no package (only access and portability)")
    finally:
        runtime.close()
    output.write_bytes(data)
    err.print(f"wrote {output} ({len(data):,} bytes)")
