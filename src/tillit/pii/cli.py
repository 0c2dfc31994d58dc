"""`tillit pii` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="pii commands.", no_args_is_help=True)
