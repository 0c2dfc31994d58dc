"""`tillit policy render` and `tillit policy export` through the real entry point: output, files, exits."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import yaml
from fideslang.models import Taxonomy

MINIMAL = Path(__file__).resolve().parents[2] / "fixtures" / "policies" / "minimal.yaml"


def tillit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("TILLIT_PACK", "TILLIT_POLICY_PATH")}
    return subprocess.run(
        [sys.executable, "-m", "tillit.cli", "policy", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_render_defaults_to_markdown_in_the_default_language_on_stdout() -> None:
    result = tillit("render", str(MINIMAL))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Personvernerklæring: Eksempel AS\n")
    assert "5 år etter at samtalen ble avsluttet, hvis du har snakket med en rådgiver" in result.stdout


def test_render_uses_the_configured_policy_without_arguments() -> None:
    result = tillit("render", "--lang", "en", env={"TILLIT_POLICY_PATH": str(MINIMAL)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Privacy notice: Eksempel AS\n")


def test_render_html_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "notice.html"
    result = tillit("render", str(MINIMAL), "--lang", "en", "--format", "html", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html


def test_render_refuses_a_language_the_policy_lacks_with_exit_1() -> None:
    result = tillit("render", str(MINIMAL), "--lang", "sv")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: language 'sv' is not one of this policy's languages (nb, en)"
    assert result.stdout == ""


def test_render_usage_errors_exit_2() -> None:
    assert tillit("render", str(MINIMAL), "--format", "pdf").returncode == 2
    assert tillit("render", str(MINIMAL), "--pack", "bank").returncode == 2


def test_render_a_missing_file_is_a_one_line_error() -> None:
    result = tillit("render", "no/such/policy.yaml")
    assert result.returncode == 1
    assert "no such policy file" in result.stderr


def test_export_fides_to_stdout_validates() -> None:
    result = tillit("export", "--format", "fides", str(MINIMAL))
    assert result.returncode == 0, result.stderr
    taxonomy = Taxonomy.model_validate(yaml.safe_load(result.stdout))
    assert taxonomy.organization[0].name == "Eksempel AS"


def test_export_ropa_writes_csv_and_json(tmp_path: Path) -> None:
    result = tillit("export", "--format", "ropa", str(MINIMAL), "--output", str(tmp_path), "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minimal-ropa.csv", "minimal-ropa.json"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "minimal-ropa.csv").read_text(encoding="utf-8"))))
    assert [r["purpose_id"] for r in rows] == ["customer_service"]
    assert rows[0]["legal_basis_article"] == "Article 6(1)(b) GDPR"


def test_export_needs_a_known_format() -> None:
    assert tillit("export", str(MINIMAL)).returncode == 2
    assert tillit("export", "--format", "xlsx", str(MINIMAL)).returncode == 2
