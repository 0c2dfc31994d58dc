"""`tillit demo --no-serve` sets up a fresh database for every pack, once, through the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tillit.policy.loader import available_packs

PACKS = available_packs()


def _tillit(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("pack", PACKS)
def test_demo_loads_pack_once(pack: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env = {"TILLIT_DATABASE_URL": url, "TILLIT_DEMO_MODE": "true", "TILLIT_PACK": pack}

    first = _tillit(["demo", "--pack", pack, "--no-serve"], env)
    assert first.returncode == 0, first.stderr
    assert f"loaded pack '{pack}'" in first.stderr

    engine = create_engine(url)
    with engine.connect() as conn:
        subjects = conn.execute(select(func.count()).select_from(text("subject_subject"))).scalar_one()
        holds = conn.execute(select(func.count()).select_from(text("retention_hold"))).scalar_one()
        versions = conn.execute(text("select pack, active from policy_version")).all()
    engine.dispose()
    assert subjects > 0
    assert holds > 0
    assert versions == [(pack, True)]

    second = _tillit(["demo", "--pack", pack, "--no-serve"], env)
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stderr


def test_demo_refuses_outside_demo_mode(tmp_path: Path) -> None:
    env = {
        "TILLIT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "TILLIT_DEMO_MODE": "false",
        "TILLIT_SECRET_KEY": "a-real-secret-for-this-test-only",
    }
    result = _tillit(["demo", "--no-serve"], env)
    assert result.returncode == 1
    assert "TILLIT_DEMO_MODE=true" in result.stderr
    assert "Traceback" not in result.stderr
