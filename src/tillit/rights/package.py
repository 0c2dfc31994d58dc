"""The access package (Art. 15) and the portability package (Art. 20), as zip files.

Access: `data.json` holds every record collected (see `collect`), each with its holds (which purpose
keeps it, until when), and per table the purposes with legal basis, recipients, source and retention in
words, in the request's language. `index.html` shows the same for a person to read (Jinja2 with
autoescape, strings from the gettext catalogues); a table with more than `HTML_ROWS` records shows the
first ones and says that all of them are in data.json, because a page with 100,000 rows helps nobody.

Portability: only what the person provided (identifiers and name, the messages they wrote, the consents
they gave, the handoff contact and feedback, and dataset columns whose source is the person), as
`data.json` and one CSV per table.

Both are built in memory from set-based reads. JSON is encoded once per file with orjson (datetimes
natively, as ISO 8601 like `datetime.isoformat`; only Decimal and bytes go through `_default`): the
stdlib encoder called back into Python for every timestamp of 100,000 rows.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tillit.policy.i18n import N_, Wording, translations
from tillit.policy.render import retention_in_words
from tillit.policy.schema import LEGAL_BASIS_ARTICLE
from tillit.retention.schemas import HoldBrief
from tillit.rights.collect import Row, Section, bulk, collect
from tillit.rights.context import Context

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML_ROWS = 500
SCHEMA_ACCESS = "tillit.rights.access/v1"
SCHEMA_PORTABILITY = "tillit.rights.portability/v1"
KIND_NAMES = {
    "subject": N_("Your customer profile and identifiers"),
    "conversation": N_("Conversations and messages"),
    "conversation_ip": N_("IP addresses of chats"),
    "handoff_contact": N_("Contact details given while waiting for an advisor"),
    "feedback": N_("Feedback"),
    "consent_record": N_("Consents and choices"),
    "consent_event": N_("Consent history"),
    "rights_request": N_("Your rights requests"),
    "audit_event": N_("Log of who read or changed your data"),
}
UNTIL_FURTHER_NOTICE = N_("until further notice")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _json(document: Any) -> bytes:
    """UTF-8 JSON, compact; non-string keys become strings as with the stdlib encoder."""
    return orjson.dumps(document, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _local(ctx: Context, text: dict[str, str] | None) -> str | None:
    if not text:
        return None
    return (
        text.get(ctx.lang) or text.get(ctx.policy.organisation.default_language) or next(iter(text.values()))
    )


def _section_name(ctx: Context, section: Section) -> str:
    if section.source == "dataset":
        return _local(ctx, ctx.policy.dataset(section.record_type).name) or section.record_type
    return translations(ctx.lang).gettext(KIND_NAMES.get(section.record_type, section.record_type))


def _purposes(ctx: Context, purpose_ids: list[str]) -> list[dict[str, Any]]:
    wording = Wording(ctx.lang)
    result = []
    for purpose_id in purpose_ids:
        if not ctx.policy.has_purpose(purpose_id):
            continue
        p = ctx.policy.purpose(purpose_id)
        recipients = [r for r in (ctx.policy.recipient(i) for i in p.recipients) if r is not None]
        sources = [s for s in ctx.policy.sources if s.id in p.sources]
        result.append(
            {
                "id": p.id,
                "name": _local(ctx, p.name),
                "legal_basis": p.legal_basis,
                "legal_basis_text": wording.legal_basis(p.legal_basis),
                "article": f"GDPR Art. {LEGAL_BASIS_ARTICLE[p.legal_basis]}",
                "reason": _local(ctx, p.legal_obligation) or _local(ctx, p.legitimate_interest),
                "recipients": [
                    {"id": r.id, "name": r.name, "role": r.role, "country": r.country} for r in recipients
                ],
                "sources": [{"id": s.id, "name": _local(ctx, s.name)} for s in sources],
                "retention": retention_in_words(ctx.policy, p, ctx.lang),
            }
        )
    return result


def _holds(row: Row, shown: dict[HoldBrief, dict[str, Any]]) -> list[dict[str, Any]]:
    """The row's holds as JSON objects; `shown` shares one object per distinct hold (most rows of a
    table are held alike, and the encoder writes a shared object as many times as it appears)."""
    result = []
    for h in row.holds:
        item = shown.get(h)
        if item is None:
            item = {"purpose": h.purpose, "expires_at": h.expires_at, "ended_reason": h.ended_reason}
            shown[h] = item
        result.append(item)
    return result


def access_document(ctx: Context, sections: list[Section]) -> dict[str, Any]:
    """The machine-readable access document (what `data.json` holds)."""
    records = []
    shown: dict[HoldBrief, dict[str, Any]] = {}
    for s in sections:
        records.append(
            {
                "record_type": s.record_type,
                "table": s.table,
                "source": s.source,
                "name": _section_name(ctx, s),
                "origin": _origin(ctx, s),
                "purposes": _purposes(ctx, s.purposes),
                "rows": [{"id": r.id, "data": r.data, "holds": _holds(r, shown)} for r in s.rows],
            }
        )
    org = ctx.policy.organisation
    return {
        "schema": SCHEMA_ACCESS,
        "controller": {"name": org.name, "org_number": org.org_number, "dpo": org.dpo.email},
        "request": {"id": ctx.request.id, "type": ctx.request.type, "received_at": ctx.request.received_at},
        "subject_id": ctx.subject_id,
        "language": ctx.lang,
        "generated_at": ctx.clock.now(),
        "records": records,
        "not_included": ["chatbot_sample: masked, stored with no link to the person"],
    }


def _origin(ctx: Context, s: Section) -> str | None:
    source = next((x for x in ctx.policy.sources if x.id == s.origin), None)
    return _local(ctx, source.name) if source is not None else None


def _row_text(row: Row) -> str:
    lines: list[str] = []
    for key, value in row.data.items():
        if key == "messages" and isinstance(value, list):
            lines.extend(f"{m['created_at']:%Y-%m-%d %H:%M} {m['author']}: {m['text']}" for m in value)
        elif isinstance(value, dict):
            lines.extend(
                f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items()
            )
        elif value is not None:
            lines.append(f"{key}: {_default(value)}")
    return "\n".join(lines)


def _until(ctx: Context, row: Row) -> str:
    now = ctx.clock.now()
    alive = [h for h in row.holds if h.expires_at is None or h.expires_at > now]
    if not alive:
        return "–"
    if any(h.expires_at is None for h in alive):
        return translations(ctx.lang).gettext(UNTIL_FURTHER_NOTICE)
    return max(h.expires_at for h in alive if h.expires_at is not None).date().isoformat()


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def access_html(ctx: Context, sections: list[Section]) -> str:
    wording = Wording(ctx.lang)
    views = []
    for s in sections:
        views.append(
            {
                "name": _section_name(ctx, s),
                "count": len(s.rows),
                "origin": _origin(ctx, s),
                "purposes": [
                    {
                        "name": p["name"],
                        "legal_basis": wording.legal_basis(p["legal_basis"]),
                        "reason": p["reason"],
                        "recipients": [r["name"] for r in p["recipients"]],
                        "retention": p["retention"],
                    }
                    for p in _purposes(ctx, s.purposes)
                ],
                "rows": [
                    {"id": r.id, "text": _row_text(r), "until": _until(ctx, r)} for r in s.rows[:HTML_ROWS]
                ],
            }
        )
    org = ctx.policy.organisation
    return (
        _environment(ctx.lang)
        .get_template("access.html.j2")
        .render(
            lang=ctx.lang,
            controller=org.name,
            dpo=org.dpo.email,
            generated=ctx.clock.now().date().isoformat(),
            sections=views,
        )
    )


def _zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def access_zip(ctx: Context) -> bytes:
    with bulk():
        sections = collect(ctx)
        document = access_document(ctx, sections)
        data = _json(document)
    return _zip({"data.json": data, "index.html": access_html(ctx, sections)})


def provided_rows(sections: list[Section]) -> dict[str, list[dict[str, Any]]]:
    """Per table, only the fields the person provided (messages: only those they wrote)."""
    result: dict[str, list[dict[str, Any]]] = {}
    for s in sections:
        if not s.provided or not s.rows:
            continue
        rows: list[dict[str, Any]] = []
        for row in s.rows:
            if s.record_type == "conversation":
                rows.extend(
                    {"conversation_id": row.id, "created_at": m["created_at"], "text": m["text"]}
                    for m in row.data.get("messages", [])
                    if m["author"] == "customer"
                )
                continue
            rows.append({"id": row.id, **{k: row.data.get(k) for k in s.provided}})
        if rows:
            result["messages" if s.record_type == "conversation" else s.record_type] = rows
    return result


def portability_zip(ctx: Context) -> bytes:
    with bulk():
        tables = provided_rows(collect(ctx, holds=False))
    files: dict[str, str | bytes] = {
        "data.json": _json({"schema": SCHEMA_PORTABILITY, "subject_id": ctx.subject_id, "tables": tables})
    }
    for name, rows in tables.items():
        out = io.StringIO()
        columns = list(dict.fromkeys(k for r in rows for k in r))
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _cell(v) for k, v in r.items()})
        files[f"{name}.csv"] = out.getvalue()
    return _zip(files)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, default=_default, ensure_ascii=False)
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return _default(value) if not isinstance(value, str | int | float) else value
