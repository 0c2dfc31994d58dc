"""`tillit staff` commands: add, list, deactivate staff accounts; unlock a login locked by failures."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from tillit.auth import service
from tillit.auth.schemas import StaffCreate
from tillit.runtime import build_runtime

app = typer.Typer(help="Staff accounts and roles.", no_args_is_help=True)
console = Console()


@app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name (lower case)"),
    role: list[str] = typer.Option(..., "--role", "-r", help="advisor, supervisor, marketing, dpo, ..."),
    name: str = typer.Option("", help="Display name (default: the username)"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="TILLIT_STAFF_PASSWORD"
    ),
) -> None:
    """Create a staff account with one or more roles."""
    runtime = build_runtime()
    data = StaffCreate(username=username, display_name=name or username, password=password, roles=role)
    with runtime.uow.begin() as session:
        staff = service.add_staff(session, data, runtime.clock)
    console.print(f"created {staff.username} with roles {', '.join(staff.roles)}")


@app.command("list")
def list_accounts() -> None:
    """List staff accounts and their roles."""
    runtime = build_runtime()
    with runtime.uow.read() as session:
        accounts = service.list_staff(session)
    table = Table("username", "name", "roles", "active")
    for account in accounts:
        table.add_row(account.username, account.display_name, ", ".join(account.roles), str(account.active))
    console.print(table)


@app.command("deactivate")
def deactivate(username: str) -> None:
    """Deactivate an account; its sessions stop working at once."""
    runtime = build_runtime()
    with runtime.uow.begin() as session:
        service.set_active(session, username, False)
    console.print(f"deactivated {username}")


@app.command("unlock")
def unlock(
    username: str,
    operator: str = typer.Option(..., "--operator", help="Who vouches for the unlock (recorded in the log)"),
) -> None:
    """Lift the lock that failed logins put on a username, before the lockout ends (audited)."""
    runtime = build_runtime()
    try:
        with runtime.uow.begin() as session:
            cleared = service.unlock_login(
                session, username, operator=operator, secret=runtime.settings.secret_key, clock=runtime.clock
            )
    finally:
        runtime.close()
    console.print(f"unlocked {username} ({cleared} recent failed logins forgotten)")
