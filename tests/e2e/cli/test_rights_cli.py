"""`tillit rights ...` in a real process: list and filter, show, preview, package, execute, and errors
as one line with exit code 1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import TEST_SECRET, make_settings
from tests.integration.rights.helpers import give_conversation_and_consents
from tillit.core.clock import FixedClock
from tillit.db import migrate
from tillit.packs.demo import load_demo
from tillit.rights import service as rights_service
from tillit.rights.schemas import RequestCreate
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


def tillit(url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": url,
        "TILLIT_PACK": "bank",
        "TILLIT_SECRET_KEY": TEST_SECRET,
        "TILLIT_DEMO_MODE": "true",
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if ok:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], str]:
    """A bank database with one customer who has a conversation and filed access, portability and
    objection requests (filed now, so none is overdue)."""
    path = tmp_path_factory.mktemp("rights_cli") / "bank.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    rt = Runtime(settings=make_settings(url, pack="bank"), clock=FixedClock(datetime.now(UTC)))
    load_demo(rt)
    with rt.uow.begin() as session:
        number = session.execute(text("SELECT customer_number FROM bank_customers LIMIT 1")).scalar_one()
        subject = subjects_service.find_by_identifier(session, "customer_number", number, secret=TEST_SECRET)
        assert subject is not None
    give_conversation_and_consents(rt, subject.id)
    ids: dict[str, str] = {}
    with rt.uow.begin() as session:
        for kind in ("access", "portability"):
            ids[kind] = rights_service.file_request(
                session,
                rt.policy,
                RequestCreate(type=kind, channel="privacy_centre", language="nb", subject_id=subject.id),
                clock=rt.clock,
                actor=f"customer:{subject.id}",
            ).id
    rt.close()
    return url, ids, subject.id


def test_list_filters_show_and_preview(filed: tuple[str, dict[str, str], str]) -> None:
    url, ids, _ = filed
    listed = tillit(url, "rights", "list").stdout
    assert ids["access"] in listed and ids["portability"] in listed
    only_access = tillit(url, "rights", "list", "--type", "access").stdout
    assert ids["access"] in only_access and ids["portability"] not in only_access
    assert ids["access"] not in tillit(url, "rights", "list", "--overdue").stdout
    assert ids["access"] not in tillit(url, "rights", "list", "--status", "completed").stdout

    shown = tillit(url, "rights", "show", ids["access"]).stdout
    assert "access" in shown and "received" in shown

    preview = tillit(url, "rights", "preview", ids["access"]).stdout
    assert "conversation" in preview and "bank_customers" in preview


def test_package_writes_the_access_and_portability_zips(
    filed: tuple[str, dict[str, str], str], tmp_path: Path
) -> None:
    url, ids, subject_id = filed
    access = tmp_path / "access.zip"
    tillit(url, "rights", "package", ids["access"], "--output", str(access))
    with zipfile.ZipFile(io.BytesIO(access.read_bytes())) as archive:
        assert {"data.json", "index.html"} <= set(archive.namelist())
        document = json.loads(archive.read("data.json"))
    assert document["subject_id"] == subject_id
    kinds = {r["record_type"]: len(r["rows"]) for r in document["records"]}
    assert kinds["conversation"] == 1 and kinds["subject"] == 1

    portable = tmp_path / "portable.zip"
    tillit(url, "rights", "package", ids["portability"], "-o", str(portable))
    with zipfile.ZipFile(portable) as archive:
        names = set(archive.namelist())
        assert "data.json" in names and "messages.csv" in names
        assert "Hei, jeg trenger hjelp" in archive.read("messages.csv").decode()


def test_execute_completes_and_show_has_the_evidence(filed: tuple[str, dict[str, str], str]) -> None:
    url, ids, _ = filed
    executed = tillit(url, "rights", "execute", ids["access"], "--actor", "dpo-kari").stdout
    assert "executed access request" in executed and "conversation" in executed
    shown = tillit(url, "rights", "show", ids["access"]).stdout
    assert "completed" in shown and "evidence" in shown
    assert ids["access"] in tillit(url, "rights", "list", "--status", "completed").stdout

    again = tillit(url, "rights", "execute", ids["access"], "--actor", "dpo-kari", ok=False)
    assert again.returncode == 1 and again.stderr.startswith("error: the request is already completed")


def test_errors_are_one_line_with_exit_code_1(filed: tuple[str, dict[str, str], str], tmp_path: Path) -> None:
    url, _, _ = filed
    missing = tillit(url, "rights", "show", "no-such-request", ok=False)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no rights request 'no-such-request'"
    bad = tillit(url, "rights", "list", "--status", "sleeping", ok=False)
    assert bad.returncode == 1 and "unknown status 'sleeping'" in bad.stderr
    usage = tillit(url, "rights", "execute", "x", ok=False)
    assert usage.returncode == 2  # --actor is required
