"""Operations commands: `db upgrade|downgrade|current`, `serve`, `demo`."""

from __future__ import annotations

import typer
from rich.console import Console

from tillit.config import load_settings
from tillit.db import migrate

console = Console(stderr=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    settings = load_settings()
    migrate.upgrade(settings.database_url, revision)
    console.print(f"database at {migrate.current(settings.database_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    settings = load_settings()
    migrate.downgrade(settings.database_url, revision)
    console.print(f"database at {migrate.current(settings.database_url) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    typer.echo(migrate.current(load_settings().database_url) or "base")


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str | None = typer.Option(None, help="Interface to bind (default from TILLIT_HOST)"),
        port: int | None = typer.Option(None, help="Port (default from TILLIT_PORT)"),
        workers: int = typer.Option(1, min=1, help="Server processes"),
    ) -> None:
        """Serve the web app and API."""
        import uvicorn

        settings = load_settings()
        uvicorn.run(
            "tillit.asgi:app",
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            log_level=settings.log_level.lower(),
        )
