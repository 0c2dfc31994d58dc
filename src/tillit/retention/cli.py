"""`tillit retention ...`: sweep, report, forecast, legal holds, and the impact of a policy change.

Thin: every command builds the runtime (with `--now` a fixed clock, so a sweep or a forecast can be run
"as of" another day) and calls the retention services. Tables go to stdout, progress to stderr.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tillit.core.errors import ValidationFailedError
from tillit.policy.loader import load_file
from tillit.retention import forecast as forecast_service
from tillit.retention import legal, sweeper
from tillit.runtime import Runtime, build_runtime

app = typer.Typer(
    help="Retention: sweep expired records, prove deletion, forecast, legal holds.", no_args_is_help=True
)
legal_app = typer.Typer(
    help="Legal holds: suspend deletion for litigation or an authority's order.", no_args_is_help=True
)
app.add_typer(legal_app, name="legal-hold")
err = Console(stderr=True)
out = Console()

NOW_HELP = "Act as of this moment (ISO 8601, e.g. 2027-02-01T00:00:00Z); default: the real time."


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailedError(f"'{value}' is not an ISO 8601 date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _runtime(now: str | None) -> Runtime:
    return build_runtime(now=_moment(now))


@app.command()
def sweep(
    now: str | None = typer.Option(None, help=NOW_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do the work, count it, and roll it all back."),
    batch_size: int = typer.Option(sweeper.DEFAULT_BATCH, min=1, help="Records per transaction."),
) -> None:
    """Delete or anonymise every record whose last hold has ended, in batches, and write proofs."""
    runtime = _runtime(now)
    try:
        total = sweeper.count_expired(runtime.uow, runtime.clock)
        columns = (TextColumn("[bold]sweep[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task("sweep", total=total)
            result = sweeper.sweep(
                runtime.uow,
                runtime.engine,
                runtime.policy,
                runtime.clock,
                batch_size=batch_size,
                dry_run=dry_run,
                policy_version=runtime.policy.version,
                on_batch=lambda n: progress.advance(task, n),
            )
    finally:
        runtime.close()
    table = Table(title=f"{'dry run: would remove' if dry_run else 'removed'} as of {result.now.isoformat()}")
    for name in ("kind", "purpose", "rule", "action", "records", "rows per table"):
        table.add_column(name)
    for group in result.groups:
        rows = ", ".join(f"{t}={n}" for t, n in sorted(group.tables.items()))
        table.add_row(
            group.record_type, group.purpose, str(group.rule_index), group.action, str(group.records), rows
        )
    out.print(table)
    out.print(
        f"sweep {result.sweep_id}: {result.records} records in {result.batches} batches"
        + (" (dry run, nothing changed)" if dry_run else "")
    )
    if result.legal_held:
        out.print(f"{result.legal_held} expired records kept under a legal hold")
    for kind, count in sorted(result.skipped.items()):
        out.print(f"{count} expired '{kind}' records skipped: the sweeper cannot erase this kind yet")
    for kind, count in sorted(result.waiting.items()):
        out.print(f"{count} expired '{kind}' records wait: other records of theirs are still stored")


@app.command()
def report(
    from_: str = typer.Option(..., "--from", help="First day (ISO 8601), inclusive."),
    to: str = typer.Option(..., "--to", help="Last day (ISO 8601), inclusive."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """Proofs of deletion written between two days: purpose, rule, action, counts; no content."""
    start, end = _day_range(from_, to)
    runtime = build_runtime()
    try:
        with runtime.uow.read() as session:
            proofs = sweeper.proofs_between(session, start, end)
    finally:
        runtime.close()
    if as_json:
        for proof in proofs:
            typer.echo(proof.model_dump_json())
        return
    table = Table(title=f"proofs of deletion {start.date()} .. {to}")
    for name in (
        "swept at",
        "sweep/batch",
        "kind",
        "purpose",
        "rule",
        "action",
        "records",
        "rows",
        "expired",
    ):
        table.add_column(name)
    for p in proofs:
        rule = f"#{p.rule_index} {p.keep or '?'} from {p.anchor or '?'}"
        table.add_row(
            p.swept_at.strftime("%Y-%m-%d %H:%M"),
            f"{p.sweep_id[:8]}/{p.batch_no}",
            p.record_type,
            p.purpose,
            rule,
            p.action,
            str(p.records),
            ", ".join(f"{t}={n}" for t, n in sorted(p.table_counts.items())),
            f"{p.earliest_expiry.date()} .. {p.latest_expiry.date()}",
        )
    out.print(table)
    out.print(f"{len(proofs)} proofs, {sum(p.records for p in proofs)} records")


@app.command()
def forecast(
    days: int = typer.Option(90, min=1, help="How far ahead."),
    now: str | None = typer.Option(None, help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """Records per purpose per week that the sweeper will remove over the coming days."""
    runtime = _runtime(now)
    try:
        with runtime.uow.read() as session:
            rows = forecast_service.forecast(session, runtime.clock, days)
    finally:
        runtime.close()
    if as_json:
        for row in rows:
            typer.echo(row.model_dump_json())
        return
    weeks = sorted({r.week for r in rows})
    purposes = sorted({r.purpose for r in rows})
    counts = {(r.purpose, r.week): r.records for r in rows}
    table = Table(title=f"records to be removed per week (next {days} days)")
    table.add_column("week of")
    for purpose in purposes:
        table.add_column(purpose, justify="right")
    for week in weeks:
        table.add_row(week.isoformat(), *(str(counts.get((p, week), 0)) for p in purposes))
    out.print(table)


@app.command()
def impact(
    policy: Path = typer.Option(..., exists=True, dir_okay=False, help="The new policy file."),
    now: str | None = typer.Option(None, help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Before applying a new policy: per purpose, how many records' expiry moves earlier or later."""
    new_policy = load_file(policy).policy
    runtime = _runtime(now)
    try:
        rows = forecast_service.impact(runtime.uow, new_policy, runtime.clock)
    finally:
        runtime.close()
    if as_json:
        for row in rows:
            typer.echo(row.model_dump_json())
        return
    table = Table(title=f"impact of {policy.name} on current holds")
    for name in ("purpose", "earlier", "later", "unchanged", "added", "removed"):
        table.add_column(name, justify="right" if name != "purpose" else "left")
    for r in rows:
        table.add_row(r.purpose, str(r.earlier), str(r.later), str(r.unchanged), str(r.added), str(r.removed))
    out.print(table)


@app.command()
def recompute(
    policy: Path = typer.Option(..., exists=True, dir_okay=False, help="The new policy file."),
    now: str | None = typer.Option(None, help=NOW_HELP),
    batch_size: int = typer.Option(500, min=1),
) -> None:
    """Apply a new policy's retention rules to existing records' holds, one transaction per batch."""
    new_policy = load_file(policy).policy
    runtime = _runtime(now)
    try:
        with Progress(TextColumn("recompute"), BarColumn(), MofNCompleteColumn(), console=err) as progress:
            task = progress.add_task("recompute", total=None)
            done = forecast_service.recompute(
                runtime.uow,
                new_policy,
                runtime.clock,
                batch_size=batch_size,
                on_batch=lambda n: progress.advance(task, n),
            )
    finally:
        runtime.close()
    out.print(f"recomputed the holds of {done} records under policy {new_policy.version}")


@legal_app.command("place")
def legal_place(
    reason: str = typer.Option(..., help="Why (e.g. the case)."),
    authority: str = typer.Option(..., help="Who ordered it (court, authority, counsel)."),
    by: str = typer.Option(..., help="Staff id of the person placing it."),
    subject: str | None = typer.Option(None, help="Hold everything about this subject id."),
    record: list[str] = typer.Option([], help="KIND:ID of a record to hold (repeatable)."),
) -> None:
    """Place a legal hold on a subject or on named records."""
    if (subject is None) == (not record):
        raise ValidationFailedError("name either --subject or one or more --record KIND:ID")
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            if subject is not None:
                holds = [
                    legal.place(
                        session,
                        reason=reason,
                        authority=authority,
                        placed_by=by,
                        clock=runtime.clock,
                        subject_id=subject,
                    )
                ]
            else:
                holds = []
                for ref in record:
                    kind, sep, record_id = ref.partition(":")
                    if not sep or not kind or not record_id:
                        raise ValidationFailedError(f"'{ref}' is not KIND:ID")
                    holds.append(
                        legal.place(
                            session,
                            reason=reason,
                            authority=authority,
                            placed_by=by,
                            clock=runtime.clock,
                            record_type=kind,
                            record_id=record_id,
                        )
                    )
    finally:
        runtime.close()
    for hold in holds:
        out.print(f"legal hold {hold.id} placed on {hold.target}")


@legal_app.command("release")
def legal_release(
    legal_hold_id: str = typer.Argument(...),
    reason: str = typer.Option(..., help="Why it is released (e.g. case closed)."),
    by: str = typer.Option(..., help="Staff id of the person releasing it."),
) -> None:
    """Release a legal hold; what it covered is swept at the next run if it has expired."""
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            hold = legal.release(session, legal_hold_id, released_by=by, reason=reason, clock=runtime.clock)
    finally:
        runtime.close()
    out.print(f"legal hold {hold.id} on {hold.target} released")


@legal_app.command("list")
def legal_list(active: bool = typer.Option(False, "--active", help="Only holds not released.")) -> None:
    """Legal holds, newest first."""
    runtime = build_runtime()
    try:
        with runtime.uow.read() as session:
            holds = legal.list_holds(session, include_released=not active)
    finally:
        runtime.close()
    for h in holds:
        state = "active" if h.active else f"released {h.released_at:%Y-%m-%d}"
        typer.echo(json.dumps({"id": h.id, "target": h.target, "authority": h.authority, "state": state}))


def _day_range(first: str, last: str) -> tuple[datetime, datetime]:
    try:
        start, end = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    except ValueError:
        raise ValidationFailedError("--from and --to are days such as 2027-01-31") from None
    if end < start:
        raise ValidationFailedError("--to is before --from")
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1),
    )
