"""Operations commands: `db upgrade|downgrade|current`, `serve`, `demo`."""

from __future__ import annotations

import typer
from rich.console import Console

from tillit.config import load_settings
from tillit.db import migrate
from tillit.logging_setup import logging_config

console = Console(stderr=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
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


def _print_urls(host: str, port: int, languages: list[str]) -> None:
    base = f"http://{host}:{port}"
    console.print(f"\n[bold]tillit is running[/bold] at {base}")
    console.print(f"  start here        {base}/")
    for lang in languages:
        console.print(f"  privacy notice    {base}/privacy?lang={lang}")
    console.print(f"  API docs          {base}/docs\n")


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        pack: str = typer.Option("bank", help="Demo pack: bank, parcel, saas or telecom"),
        serve: bool = typer.Option(True, help="Serve the web app after loading"),
        host: str | None = typer.Option(None, help="Interface to bind (default from TILLIT_HOST)"),
        port: int | None = typer.Option(None, help="Port (default from TILLIT_PORT)"),
    ) -> None:
        """Migrate the database, load a demo pack's policy and fictional data, and serve the web app."""
        import uvicorn

        from tillit.core.errors import ConfigurationError
        from tillit.main import create_app
        from tillit.packs.demo import load_demo
        from tillit.runtime import build_runtime

        settings = load_settings(pack=pack)
        if not settings.demo_mode:
            raise ConfigurationError("tillit demo loads fictional data; set TILLIT_DEMO_MODE=true to use it")
        runtime = build_runtime(settings)
        summary = load_demo(runtime)
        runtime.close()
        if summary.already_loaded:
            console.print(f"pack '{pack}' already loaded (policy version {summary.policy_version})")
        else:
            console.print(
                f"loaded pack '{pack}': policy version {summary.policy_version}, {summary.subjects} people, "
                f"{sum(summary.rows.values())} business rows, {summary.holds} holds"
            )
        if not serve:
            return
        bind_host, bind_port = host or settings.host, port or settings.port
        _print_urls(bind_host, bind_port, runtime.policy.languages)
        uvicorn.run(
            create_app(settings),
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level.lower(),
            log_config=logging_config(settings.log_level),
        )

    @app.command("serve")
    def serve(
        host: str | None = typer.Option(None, help="Interface to bind (default from TILLIT_HOST)"),
        port: int | None = typer.Option(None, help="Port (default from TILLIT_PORT)"),
        workers: int = typer.Option(1, min=1, help="Server processes"),
        sweep_every: int = typer.Option(
            3600,
            min=0,
            help="Embedded mode: run the retention sweep every N seconds (0: leave it to a worker)",
        ),
        webhooks_every: int = typer.Option(
            300, min=0, help="Embedded mode: retry processor webhooks every N seconds (0: a worker does)"
        ),
        matching_every: int = typer.Option(
            3600, min=0, help="Embedded mode: purge customer-matching exports every N seconds (0: worker)"
        ),
    ) -> None:
        """Serve the web app and API (and, in the embedded mode, the background jobs)."""
        import uvicorn

        settings = load_settings()
        scheduler = None
        if sweep_every or webhooks_every or matching_every:
            from tillit.jobs import Schedule, start_embedded
            from tillit.runtime import build_runtime

            scheduler = start_embedded(
                build_runtime(settings), Schedule(sweep_every, webhooks_every, matching_every)
            )
        try:
            uvicorn.run(
                "tillit.asgi:app",
                host=host or settings.host,
                port=port or settings.port,
                workers=workers,
                # uvicorn kills a worker that does not answer its supervisor's ping within this many
                # seconds. Its default of 5 killed workers in a loop on a busy 2-core machine while they
                # imported the app or trained the chatbot at start-up; a hung worker is still replaced,
                # only later.
                timeout_worker_healthcheck=30,
                log_level=settings.log_level.lower(),
                log_config=logging_config(settings.log_level),
            )
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    @app.command("worker")
    def worker(
        every: int = typer.Option(3600, min=0, help="Seconds between retention sweeps (0: none)."),
        webhooks_every: int = typer.Option(300, min=0, help="Seconds between processor webhook retries."),
        matching_every: int = typer.Option(3600, min=0, help="Seconds between customer-matching purges."),
    ) -> None:
        """Run the background jobs until stopped (Ctrl-C or SIGTERM): the production worker. Each job runs
        once at start: the retention sweep, processor webhook retries, the customer-matching purge."""
        from tillit.jobs import Schedule, run_worker
        from tillit.logging_setup import configure_logging
        from tillit.runtime import build_runtime

        settings = load_settings()
        configure_logging(settings.log_level)
        console.print(
            f"tillit worker: retention sweep every {every} s, webhooks every {webhooks_every} s, "
            f"matching purge every {matching_every} s (Ctrl-C to stop)"
        )
        run_worker(build_runtime(settings), Schedule(every, webhooks_every, matching_every))
