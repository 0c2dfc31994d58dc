"""The `tillit` command: a Typer root app; each domain adds its own sub-app.

Exit codes: 0 ok, 1 a domain error (one clear line on stderr), 2 usage.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from tillit.core.errors import TillitError
from tillit.logging_setup import configure_logging

app = typer.Typer(
    name="tillit",
    help="Customer conversations whose privacy notice is executable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from tillit import ops_cli
    from tillit.audit.cli import app as audit_app
    from tillit.auth.cli import app as staff_app
    from tillit.chatbot.cli import app as bot_app
    from tillit.marketing.cli import app as marketing_app
    from tillit.marketing.propensity_cli import app as propensity_app
    from tillit.pii.cli import app as pii_app
    from tillit.policy.cli import app as policy_app
    from tillit.retention.cli import app as retention_app
    from tillit.rights.cli import app as rights_app

    app.add_typer(ops_cli.db_app, name="db")
    app.add_typer(policy_app, name="policy")
    app.add_typer(audit_app, name="audit")
    app.add_typer(pii_app, name="pii")
    app.add_typer(staff_app, name="staff")
    app.add_typer(retention_app, name="retention")
    app.add_typer(marketing_app, name="marketing")
    app.add_typer(rights_app, name="rights")
    app.add_typer(bot_app, name="bot")
    app.add_typer(propensity_app, name="propensity")
    ops_cli.register(app)


_register()


def main() -> None:
    """Console entry point: domain errors become a one-line message and exit code 1."""
    configure_logging("WARNING")
    try:
        app(standalone_mode=True)
    except TillitError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: invalid input: {problems}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
