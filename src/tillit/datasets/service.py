"""The datasets connector: read, count, erase, anonymise and sweep the company's own tables that the
policy declares as datasets (e.g. `bank_customers`), by a subject's identities or by primary key.

Every function takes `session` and joins the caller's transaction (never commits); each one writes an
audit row through `audit.service` in that same transaction, so a read of personal data without its
audit row cannot happen. Reads (`select_*`, `count_rows`, `iter_*`) name a `purpose`, which must be one
the dataset declares (otherwise PurposeNotAllowedError) — the connector is where "a purpose may use only
the data it was declared for" is enforced for data outside tillit. Erasure and anonymisation name a
`reason` instead (`erasure`, `retention`, ...): they are not uses of the data but the end of it.

Identities are matched with the same normalisation as subjects (`tillit.core.identifiers`): an e-mail in
another case, a phone number in another format, a national ID with or without separators all match.
The company's rows hold clear values, so matching is a portable SQL pre-filter followed by an exact
comparison in Python, memoised per distinct stored spelling (see `_matching`), so that a subject with
100,000 rows costs one query and a handful of normalisations. `default_region` is the organisation's
country (`policy.organisation.country`).

Rows are returned as dicts of the dataset's declared columns only (primary key, identity columns, fields,
facts): undeclared columns are not the connector's to hand out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import String, Table
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.core.clock import Clock
from tillit.core.errors import PurposeNotAllowedError, ValidationFailedError
from tillit.core.identifiers import IDENTIFIER_KINDS, normalise, spellings, try_normalise
from tillit.datasets import repository
from tillit.policy.schema import Dataset

_REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
Identities = Mapping[str, Sequence[str]]
"""Identity kind -> clear values, as `subjects.service.identities_of` returns them."""


def declared_columns(dataset: Dataset) -> list[str]:
    """Primary key, identity columns, fields and facts, in that order, without repeats."""
    names = [dataset.primary_key, *(i.column for i in dataset.identity), *dataset.fields, *dataset.facts]
    return list(dict.fromkeys(names))


def personal_columns(dataset: Dataset) -> list[str]:
    """Columns holding personal data (identity columns and fields), minus the primary key."""
    names = [*(i.column for i in dataset.identity), *dataset.fields]
    return [n for n in dict.fromkeys(names) if n != dataset.primary_key]


def check_dataset(session: Session, dataset: Dataset) -> Table:
    """Reflect the dataset's table and check every declared column exists; ValidationFailedError names
    the dataset and the first missing column. Returns the reflected table."""
    table = repository.reflect(session, dataset.id, dataset.table)
    roles = [("primary key", dataset.primary_key)]
    roles += [(f"{i.kind} identity", i.column) for i in dataset.identity]
    roles += [("field", name) for name in dataset.fields]
    roles += [("fact", name) for name in dataset.facts]
    for role, name in roles:
        if name not in table.c:
            raise ValidationFailedError(
                f"dataset '{dataset.id}': table '{dataset.table}' has no column '{name}' "
                f"(declared as {role})",
                details={"dataset": dataset.id, "table": dataset.table, "column": name},
            )
    return table


def select_rows(
    session: Session,
    dataset: Dataset,
    identities: Identities,
    *,
    actor: Actor,
    purpose: str,
    clock: Clock,
    default_region: str | None = None,
    subject_id: str | None = None,
) -> list[dict[str, Any]]:
    """The dataset's rows belonging to any of the identities, for `purpose` (audited)."""
    _check_purpose(dataset, purpose)
    table = check_dataset(session, dataset)
    rows = _matching(session, table, dataset, identities, declared_columns(dataset), default_region)
    _audit_read(session, dataset, actor, purpose, clock, "dataset.read", subject_id, len(rows), identities)
    return rows


def count_rows(
    session: Session,
    dataset: Dataset,
    identities: Identities,
    *,
    actor: Actor,
    purpose: str,
    clock: Clock,
    default_region: str | None = None,
    subject_id: str | None = None,
) -> int:
    """How many rows belong to the identities (even a count tells something about a person: audited)."""
    _check_purpose(dataset, purpose)
    table = check_dataset(session, dataset)
    rows = _matching(session, table, dataset, identities, _key_and_identity_columns(dataset), default_region)
    _audit_read(session, dataset, actor, purpose, clock, "dataset.count", subject_id, len(rows), identities)
    return len(rows)


def matching_keys(
    session: Session,
    dataset: Dataset,
    identities: Identities,
    *,
    actor: Actor,
    purpose: str,
    clock: Clock,
    default_region: str | None = None,
    subject_id: str | None = None,
) -> list[Any]:
    """Primary keys of the rows belonging to the identities (for holds and erasure plans; audited)."""
    _check_purpose(dataset, purpose)
    table = check_dataset(session, dataset)
    rows = _matching(session, table, dataset, identities, _key_and_identity_columns(dataset), default_region)
    _audit_read(session, dataset, actor, purpose, clock, "dataset.keys", subject_id, len(rows), identities)
    return [row[dataset.primary_key] for row in rows]


def delete_rows(
    session: Session,
    dataset: Dataset,
    identities: Identities,
    *,
    actor: Actor,
    reason: str,
    clock: Clock,
    default_region: str | None = None,
    subject_id: str | None = None,
) -> int:
    """Delete every row belonging to the identities; returns how many (audited with the reason)."""
    _check_reason(reason)
    table = check_dataset(session, dataset)
    rows = _matching(session, table, dataset, identities, _key_and_identity_columns(dataset), default_region)
    deleted = repository.delete_by_keys(
        session, table, dataset.primary_key, [r[dataset.primary_key] for r in rows]
    )
    audit_service.record_as(
        session,
        actor,
        "dataset.delete",
        subject_id=subject_id,
        record_type=dataset.id,
        detail={"rows": deleted, "reason": reason, "by": "identity", "kinds": _kinds(identities)},
        clock=clock,
    )
    return deleted


def select_by_keys(
    session: Session,
    dataset: Dataset,
    keys: Sequence[Any],
    *,
    actor: Actor,
    purpose: str,
    clock: Clock,
    subject_id: str | None = None,
) -> list[dict[str, Any]]:
    """The rows with these primary keys, in key order, for `purpose` (audited)."""
    _check_purpose(dataset, purpose)
    table = check_dataset(session, dataset)
    coerced = _coerce_keys(table, dataset, keys)
    rows = repository.select_by_keys(session, table, declared_columns(dataset), dataset.primary_key, coerced)
    audit_service.record_as(
        session,
        actor,
        "dataset.read",
        purpose=purpose,
        subject_id=subject_id,
        record_type=dataset.id,
        record_id=_single_key(keys),
        detail={"rows": len(rows), "by": "key", "keys": len(keys)},
        clock=clock,
    )
    return rows


def delete_by_keys(
    session: Session,
    dataset: Dataset,
    keys: Sequence[Any],
    *,
    actor: Actor,
    reason: str,
    clock: Clock,
    subject_id: str | None = None,
) -> int:
    """Delete the rows with these primary keys; returns how many existed (audited with the reason)."""
    _check_reason(reason)
    table = check_dataset(session, dataset)
    deleted = repository.delete_by_keys(
        session, table, dataset.primary_key, _coerce_keys(table, dataset, keys)
    )
    audit_service.record_as(
        session,
        actor,
        "dataset.delete",
        subject_id=subject_id,
        record_type=dataset.id,
        record_id=_single_key(keys),
        detail={"rows": deleted, "reason": reason, "by": "key", "keys": len(keys)},
        clock=clock,
    )
    return deleted


def anonymise_rows(
    session: Session,
    dataset: Dataset,
    keys: Sequence[Any],
    columns: Sequence[str] | None = None,
    *,
    actor: Actor,
    reason: str,
    clock: Clock,
    subject_id: str | None = None,
) -> int:
    """Set personal columns to NULL in the rows with these keys, keeping the rows (and their facts) for
    what may outlive the person, e.g. statistics. `columns` defaults to every personal column; each must
    be an identity column or a field and nullable. Returns the number of rows changed (audited)."""
    _check_reason(reason)
    table = check_dataset(session, dataset)
    allowed = personal_columns(dataset)
    chosen = list(dict.fromkeys(columns)) if columns is not None else allowed
    if not chosen:
        raise ValidationFailedError(f"dataset '{dataset.id}': no columns to anonymise")
    for name in chosen:
        if name not in allowed:
            raise ValidationFailedError(
                f"dataset '{dataset.id}': column '{name}' is not a declared personal column "
                f"(identity or field); only those can be anonymised",
                details={"dataset": dataset.id, "column": name},
            )
        if not table.c[name].nullable:
            raise ValidationFailedError(
                f"dataset '{dataset.id}': column '{name}' is NOT NULL, so it cannot be anonymised to NULL; "
                "delete the rows instead or make the column nullable",
                details={"dataset": dataset.id, "column": name},
            )
    changed = repository.null_columns(
        session, table, dataset.primary_key, _coerce_keys(table, dataset, keys), chosen
    )
    audit_service.record_as(
        session,
        actor,
        "dataset.anonymise",
        subject_id=subject_id,
        record_type=dataset.id,
        record_id=_single_key(keys),
        detail={"rows": changed, "reason": reason, "columns": chosen, "keys": len(keys)},
        clock=clock,
    )
    return changed


def iter_batches(
    session: Session,
    dataset: Dataset,
    batch_size: int = 500,
    *,
    actor: Actor,
    purpose: str,
    clock: Clock,
) -> Iterator[list[dict[str, Any]]]:
    """Every row of the dataset in primary-key order, `batch_size` at a time, for sweeps (retention,
    audiences). Each batch is one keyset query and one audit row; nothing is held between batches, so a
    sweep over millions of rows runs in constant memory, and deleting rows already yielded is safe."""
    if batch_size < 1:
        raise ValidationFailedError("batch_size must be at least 1")
    _check_purpose(dataset, purpose)
    table = check_dataset(session, dataset)
    columns = declared_columns(dataset)
    after: Any = None
    batch_no = 0
    while True:
        rows = repository.page_after(session, table, columns, dataset.primary_key, after, batch_size)
        if not rows:
            return
        batch_no += 1
        audit_service.record_as(
            session,
            actor,
            "dataset.sweep",
            purpose=purpose,
            record_type=dataset.id,
            detail={"rows": len(rows), "batch": batch_no},
            clock=clock,
        )
        yield rows
        if len(rows) < batch_size:
            return
        after = rows[-1][dataset.primary_key]


def iter_rows(
    session: Session,
    dataset: Dataset,
    batch_size: int = 500,
    *,
    actor: Actor,
    purpose: str,
    clock: Clock,
) -> Iterator[dict[str, Any]]:
    """Every row of the dataset one by one (read in batches; see `iter_batches`)."""
    for batch in iter_batches(session, dataset, batch_size, actor=actor, purpose=purpose, clock=clock):
        yield from batch


def _check_purpose(dataset: Dataset, purpose: str) -> None:
    if purpose not in dataset.purposes:
        raise PurposeNotAllowedError(
            f"purpose '{purpose}' is not declared for dataset '{dataset.id}' "
            f"(declared: {', '.join(dataset.purposes)})",
            details={"dataset": dataset.id, "purpose": purpose},
        )


def _check_reason(reason: str) -> None:
    if not _REASON.match(reason):
        raise ValidationFailedError(
            f"reason '{reason[:40]}' must be a short lower-case code such as 'erasure' or 'retention'",
            details={"field": "reason"},
        )


def _key_and_identity_columns(dataset: Dataset) -> list[str]:
    return list(dict.fromkeys([dataset.primary_key, *(i.column for i in dataset.identity)]))


def _wanted(identities: Identities, default_region: str | None) -> dict[str, set[str]]:
    """The identities sought, normalised; an invalid value raises ValidationFailedError naming its kind."""
    wanted: dict[str, set[str]] = {}
    for kind, values in identities.items():
        if kind not in IDENTIFIER_KINDS:
            raise ValidationFailedError(
                f"unknown identity kind '{kind}' (expected one of {', '.join(IDENTIFIER_KINDS)})",
                details={"kind": kind},
            )
        for value in values:
            wanted.setdefault(kind, set()).add(normalise(kind, value, default_region=default_region))
    return wanted


def _matching(
    session: Session,
    table: Table,
    dataset: Dataset,
    identities: Identities,
    columns: list[str],
    default_region: str | None,
) -> list[dict[str, Any]]:
    """Rows whose identity columns normalise to one of the identities sought.

    The SQL pre-filter narrows the rows; each candidate is then confirmed with the very normalisation
    subjects use, so matching stays exact whatever the database's `lower` or `trim` do. The confirmation
    is memoised per distinct stored spelling: a subject's 100,000 rows carry a handful of spellings of
    their identifiers, so phone and national ID parsing runs a handful of times, not once per row. For
    `customer_number` and `subject_id` in text columns the pre-filter (`trim(col) IN canonical values`)
    already is the exact comparison (SQL trims spaces only, and a canonical value has no surrounding
    whitespace, so `trim(col) = v` implies `col.strip() == v`), and no confirmation is needed at all."""
    wanted = _wanted(identities, default_region)
    usable = [i for i in dataset.identity if wanted.get(i.kind)]
    if not usable:
        return []
    conditions = []
    for ident in usable:
        forms: list[str] = []
        for value in sorted(wanted[ident.kind]):
            forms.extend(spellings(ident.kind, value, default_region=default_region))
        conditions.append(repository.identity_prefilter(table.c[ident.column], ident.kind, forms))
    confirm = not all(_exact_in_sql(table, i.kind, i.column) for i in usable)
    fetch = list(dict.fromkeys([*columns, *(i.column for i in usable)]))
    positions = [(fetch.index(i.column), i.kind) for i in usable]
    rows = repository.rows_where(
        session, table, fetch, repository.any_of(conditions), order_by=dataset.primary_key
    )
    if not confirm:
        matches = [dict(zip(columns, row, strict=False)) for row in rows]
    else:
        seen: dict[tuple[str, str], bool] = {}

        def belongs(kind: str, value: Any) -> bool:
            if value is None:
                return False
            key = (kind, str(value))  # by text: normalisation reads the text (1 and 1.0 differ there)
            found = seen.get(key)
            if found is None:
                found = seen[key] = try_normalise(kind, key[1], default_region=default_region) in wanted[kind]
            return found

        matches = [
            dict(zip(columns, row, strict=False))
            for row in rows
            if any(belongs(kind, row[position]) for position, kind in positions)
        ]
    if not _python_order_is_sql_order(table, dataset.primary_key):
        matches.sort(key=lambda r: _sort_key(r[dataset.primary_key]))
    return matches


def _python_order_is_sql_order(table: Table, key: str) -> bool:
    """Integer keys sort alike in SQL and Python; text keys may not (collations), so those are re-sorted."""
    try:
        return table.c[key].type.python_type is int
    except NotImplementedError:
        return False


def _exact_in_sql(table: Table, kind: str, column: str) -> bool:
    """Whether the pre-filter for this kind and column is already the exact comparison (see `_matching`)."""
    return kind in ("customer_number", "subject_id") and isinstance(table.c[column].type, String)


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def _coerce_keys(table: Table, dataset: Dataset, keys: Sequence[Any]) -> list[Any]:
    """Keys arrive as text from holds (`record_id`); compare them as the column's own type."""
    try:
        python_type = table.c[dataset.primary_key].type.python_type
    except NotImplementedError:
        return list(keys)
    if python_type is int:
        coerced = []
        for key in keys:
            try:
                coerced.append(int(key))
            except (TypeError, ValueError):
                raise ValidationFailedError(
                    f"dataset '{dataset.id}': key {key!r} is not an integer", details={"dataset": dataset.id}
                ) from None
        return coerced
    if python_type is str:
        return [str(key) for key in keys]
    return list(keys)


def _single_key(keys: Sequence[Any]) -> str | None:
    return str(keys[0])[:128] if len(keys) == 1 else None


def _kinds(identities: Identities) -> list[str]:
    return sorted(kind for kind, values in identities.items() if values)


def _audit_read(
    session: Session,
    dataset: Dataset,
    actor: Actor,
    purpose: str,
    clock: Clock,
    action: str,
    subject_id: str | None,
    rows: int,
    identities: Identities,
) -> None:
    audit_service.record_as(
        session,
        actor,
        action,
        purpose=purpose,
        subject_id=subject_id,
        record_type=dataset.id,
        detail={"rows": rows, "by": "identity", "kinds": _kinds(identities)},
        clock=clock,
    )


def update_rows(
    session: Session,
    dataset: Dataset,
    identities: Identities,
    values: Mapping[str, Any],
    *,
    actor: Actor,
    reason: str,
    clock: Clock,
    default_region: str | None = None,
    subject_id: str | None = None,
) -> int:
    """Set personal columns (identity columns or fields) to new values in every row belonging to the
    identities: a rectification (Art. 16). Returns the number of rows changed; audited with the reason
    and the column names, never the values. Primary keys and facts cannot be changed here."""
    _check_reason(reason)
    if not values:
        raise ValidationFailedError(f"dataset '{dataset.id}': nothing to update")
    table = check_dataset(session, dataset)
    allowed = personal_columns(dataset)
    for name in values:
        if name not in allowed:
            raise ValidationFailedError(
                f"dataset '{dataset.id}': column '{name}' is not a declared personal column",
                details={"dataset": dataset.id, "column": name},
            )
    rows = _matching(session, table, dataset, identities, _key_and_identity_columns(dataset), default_region)
    keys = [r[dataset.primary_key] for r in rows]
    changed = repository.update_by_keys(session, table, dataset.primary_key, keys, dict(values))
    audit_service.record_as(
        session,
        actor,
        "dataset.update",
        subject_id=subject_id,
        record_type=dataset.id,
        detail={"rows": changed, "reason": reason, "columns": sorted(values), "kinds": _kinds(identities)},
        clock=clock,
    )
    return changed
