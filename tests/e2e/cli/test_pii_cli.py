"""`tillit pii scan` and `tillit pii redact` as a user runs them: a subprocess with standard input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TILLIT = shutil.which("tillit", path=str(Path(sys.executable).parent)) or "tillit"


def run(args: list[str], stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TILLIT, "pii", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_scan_reads_and_writes_json_lines() -> None:
    lines = [
        {"id": "a", "text": "Ring meg på 912 34 567, mvh Kari Nordmann", "lang": "nb"},
        {"id": "b", "text": "Ordre 48213377 på 1 299 kr"},
    ]
    proc = run(["scan"], "\n".join(json.dumps(x) for x in lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert out[0] == {
        "id": "a",
        "findings": [
            {"kind": "PHONE", "start": 12, "end": 22, "score": out[0]["findings"][0]["score"]},
            {"kind": "PERSON", "start": 28, "end": 41, "score": out[0]["findings"][1]["score"]},
        ],
    }
    assert out[1] == {"id": "b", "findings": []}


def test_scan_rejects_bad_input_with_line_number_and_no_output() -> None:
    proc = run(["scan"], '{"id": 1, "text": "ok"}\n{not json\n')
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "line 2" in proc.stderr


def test_redact_plain_text_tag_and_partial() -> None:
    text = "Kort 4863 3538 6140 8319, e-post kari@example.com\n"
    assert run(["redact"], text).stdout == "Kort [PAYMENT_CARD], e-post [EMAIL]\n"
    assert (
        run(["redact", "--style", "partial"], text).stdout
        == "Kort **** **** **** 8319, e-post k***@example.com\n"
    )


def test_redact_hash_uses_key_from_environment() -> None:
    one = run(["redact", "--style", "hash"], "tlf 912 34 567", TILLIT_PII_HASH_KEY="k1").stdout
    again = run(["redact", "--style", "hash"], "tlf 91234567", TILLIT_PII_HASH_KEY="k1").stdout
    other = run(["redact", "--style", "hash"], "tlf 912 34 567", TILLIT_PII_HASH_KEY="k2").stdout
    assert one == again != other
    missing = run(["redact", "--style", "hash"], "tlf 912 34 567", TILLIT_PII_HASH_KEY="")
    assert missing.returncode == 1 and "TILLIT_PII_HASH_KEY" in missing.stderr


def test_redact_jsonl_masks_text_field_only() -> None:
    proc = run(["redact", "--jsonl"], json.dumps({"id": 7, "text": "fnr 19106614000", "lang": "nb"}) + "\n")
    assert json.loads(proc.stdout) == {"id": 7, "text": "fnr [NO_NATIONAL_ID]", "lang": "nb"}
