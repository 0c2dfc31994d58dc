"""Running `tillit` through its real entry point against a database, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import TEST_SECRET


def run_tillit(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    """`python -m tillit.cli ARGS` with the test database and secret, outside demo mode."""
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": url,
        "TILLIT_SECRET_KEY": TEST_SECRET,
        "TILLIT_DEMO_MODE": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
