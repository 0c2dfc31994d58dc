"""`tillit policy lint` through the real entry point, in a subprocess: output lines and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tillit.policy import lint
from tillit.policy.loader import available_packs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "policies"
MINIMAL = FIXTURES / "minimal.yaml"
BROKEN = FIXTURES / "broken"


def tillit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tillit.cli", "policy", "lint", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_valid_file_exits_zero() -> None:
    result = tillit(str(MINIMAL))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == ["checked 1 file: 0 error(s), 0 warning(s)"]


def test_broken_file_exits_one_with_file_line_code_and_message() -> None:
    path = BROKEN / "consent_withdrawal.yaml"
    result = tillit(str(path))
    assert result.returncode == 1
    assert (
        f"{path}:57: [consent-withdrawal] purpose 'chat_archive': legal basis 'consent' requires withdrawal "
        "to be possible"
    ) in result.stdout.splitlines()
    assert result.stdout.strip().endswith("checked 1 file: 1 error(s), 0 warning(s)")


def test_several_files_are_all_reported() -> None:
    yaml_error = BROKEN / "misspelt_key.yaml"
    result = tillit(str(MINIMAL), str(BROKEN / "retention_missing.yaml"), str(yaml_error))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith(f"{BROKEN / 'retention_missing.yaml'}:46: [retention-missing]") for line in lines
    )
    assert f"{yaml_error}:46: [schema] purpose 'customer_service': unknown key 'record'" in lines
    assert lines[-1] == "checked 3 files: 2 error(s), 0 warning(s)"


def test_warnings_pass_unless_strict() -> None:
    path = BROKEN / "processor_unused.yaml"
    relaxed = tillit(str(path))
    assert relaxed.returncode == 0
    assert f"{path}:20: [processor-unused] warning: " in relaxed.stdout
    strict = tillit("--strict", str(path))
    assert strict.returncode == 1


def test_yaml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(MINIMAL.read_text(encoding="utf-8").replace("legal_basis: contract", "legal_basis: a: b"))
    result = tillit(str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}:40: [yaml] invalid YAML")


def test_list_rules_prints_every_code() -> None:
    result = tillit("--list-rules")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {rule.code for rule in lint.RULES} <= listed
    assert {"yaml", "duplicate-key", "schema"} <= listed


def test_unknown_pack_is_a_usage_error() -> None:
    result = tillit("--pack", "no_such_pack")
    assert result.returncode == 2
    assert "unknown pack 'no_such_pack'" in result.stderr


def test_configured_policy_path_is_the_default(tmp_path: Path) -> None:
    result = tillit(env={"TILLIT_POLICY_PATH": str(BROKEN / "duplicate_id.yaml")})
    assert result.returncode == 1
    assert f"{BROKEN / 'duplicate_id.yaml'}:19: [duplicate-id]" in result.stdout


@pytest.mark.skipif(not available_packs(), reason="no demo pack has landed yet")
def test_all_packs_are_checked() -> None:
    result = tillit("--all-packs")
    packs = available_packs()
    assert f"checked {len(packs)} file" in result.stdout.splitlines()[-1]
