"""`tillit pii scan` and `tillit pii redact`: the detector on standard input, for pipelines and spot checks.

`scan` reads JSON lines `{"id", "text", "lang"?}` and writes `{"id", "findings": [...]}` per line.
`redact` masks plain text (or, with `--jsonl`, the "text" field of each JSON line). The key for the hash
style comes from the environment (TILLIT_PII_HASH_KEY), never from the command line, so it does not end
up in shell history. Input is read and checked in full before anything is written: a bad line is an
error with its line number and no output.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer

from tillit.core.errors import ValidationFailedError
from tillit.pii.engine import find
from tillit.pii.masking import MaskStyle, mask

app = typer.Typer(help="Find and mask personal data in free text (Nordic first).", no_args_is_help=True)

KEY_ENV = "TILLIT_PII_HASH_KEY"


def _read_jsonl(data: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailedError(f"line {n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValidationFailedError(f'line {n}: expected an object with a string "text"')
        lang = row.get("lang")
        if lang is not None and not isinstance(lang, str):
            raise ValidationFailedError(f'line {n}: "lang" must be a string')
        rows.append(row)
    return rows


@app.command()
def scan() -> None:
    """Read JSON lines {"id", "text", "lang"} on stdin; write {"id", "findings"} per line."""
    rows = _read_jsonl(sys.stdin.read())
    out = sys.stdout
    for row in rows:
        lang = row.get("lang")
        findings = find(row["text"], [lang] if lang else None)
        out.write(json.dumps({"id": row.get("id"), "findings": [f.to_dict() for f in findings]}) + "\n")


@app.command()
def redact(
    style: MaskStyle = typer.Option(
        MaskStyle.TAG, help="tag, hash (keyed, needs TILLIT_PII_HASH_KEY) or partial"
    ),
    jsonl: bool = typer.Option(False, "--jsonl", help='Input is JSON lines; mask each "text" field.'),
    lang: str | None = typer.Option(None, help="Language hint: nb, sv, da or en."),
) -> None:
    """Mask personal data in standard input and write the result to standard output."""
    key = os.environ.get(KEY_ENV) or None
    if style is MaskStyle.HASH and not key:
        raise ValidationFailedError(f"--style hash needs a key in the environment variable {KEY_ENV}")
    hint = [lang] if lang else None
    data = sys.stdin.read()
    if not jsonl:
        sys.stdout.write(mask(data, find(data, hint), style, key=key))
        return
    rows = _read_jsonl(data)
    for row in rows:
        text = row["text"]
        row_hint = [row["lang"]] if row.get("lang") else hint
        row["text"] = mask(text, find(text, row_hint), style, key=key)
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
