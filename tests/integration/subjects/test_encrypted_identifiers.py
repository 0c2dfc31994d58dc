"""Identifiers are never stored in clear: not in any column of any table, not in the SQLite file.

And yet subjects are found by any spelling of an identity, through the keyed hash.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from tests.conftest import T0, TEST_SECRET
from tests.fake_ids import fodselsnummer_for
from tillit.core.clock import FixedClock
from tillit.core.crypto import DecryptionError
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.db.session import UnitOfWork, make_engine, make_session_factory
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

FNR = fodselsnummer_for(date(1977, 11, 23), start=211)
FNR_2 = fodselsnummer_for(date(1964, 2, 29), start=317)
EMAIL = "Kari.Kryptert@Example.com"
PHONE = "+47 412 34 567"
NAME = "Kari Kryptertsen"
OTHER_SECRET = "a-different-secret-0123456789abcdef"


def _forms() -> dict[str, list[str]]:
    """Every spelling of the clear values that must not appear anywhere at rest."""
    return {
        "national_id": [FNR, f"{FNR[:6]} {FNR[6:]}", f"{FNR[:6]}-{FNR[6:]}", FNR_2],
        "email": [EMAIL, EMAIL.lower(), EMAIL.lower().split("@")[0]],
        "phone": ["+4741234567", "41234567", "412 34 567"],
        "name": [NAME, "Kryptertsen"],
    }


def _encodings(value: str) -> list[bytes]:
    raw = value.encode("utf-8")
    return [raw, base64.b64encode(raw), raw.hex().encode(), value.encode("utf-16-le")]


def _create(session: Any, *, secret: str = TEST_SECRET) -> subjects_service.SubjectRead:
    return subjects_service.create_subject(
        session,
        kind="customer",
        language="nb",
        display_name=NAME,
        identifiers={
            "national_id": f"{FNR[:6]} {FNR[6:]}",
            "email": EMAIL,
            "phone": PHONE,
            "customer_number": "K-1",
        },
        clock=FixedClock(T0),
        default_region="NO",
        secret=secret,
    )


def _cell_texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return [data.decode("latin-1"), data.hex()]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    return [str(value)]


def _assert_no_clear_values_in_tables(runtime: Runtime) -> int:
    """SELECT * on every table of the database (reflected, so tables added later are covered too)."""
    metadata = MetaData()
    metadata.reflect(bind=runtime.engine)
    forms = [f for group in _forms().values() for f in group]
    cells = 0
    with runtime.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    for text in _cell_texts(value):
                        cells += 1
                        digits = "".join(ch for ch in text if ch.isdigit())
                        lowered = text.lower()
                        for form in forms:
                            where = f"{table.name}.{column}"
                            assert form.lower() not in lowered, f"{form!r} in clear in {where}"
                            for encoded in _encodings(form)[1:]:
                                assert encoded.decode("latin-1") not in text, f"{form!r} encoded in {where}"
                        assert FNR not in digits, f"national ID digits in {table.name}.{column}"
                        assert FNR_2 not in digits, f"national ID digits in {table.name}.{column}"
    return cells


def test_no_identifier_in_clear_in_any_table(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        created = _create(session)
        subjects_service.add_identifier(
            session,
            created.id,
            "national_id",
            FNR_2,
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    cells = _assert_no_clear_values_in_tables(runtime)
    assert cells > 10  # the scan really read the rows
    # ... and yet the values are there, for whoever holds the secret.
    with runtime.uow.read() as session:
        identities = subjects_service.identities_of(session, created.id, secret=TEST_SECRET)
    assert {kind: sorted(values) for kind, values in identities.items()} == {
        "customer_number": ["K-1"],
        "email": [EMAIL.lower()],
        "national_id": sorted([FNR, FNR_2]),
        "phone": ["+4741234567"],
    }


def test_no_identifier_in_the_sqlite_file(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    uow = UnitOfWork(make_session_factory(engine))
    with uow.begin() as session:
        _create(session)
    with uow.begin() as session:  # a changed row leaves old page versions behind: they must be clean too
        found = subjects_service.find_by_identifier(
            session, "national_id", FNR, secret=TEST_SECRET, default_region="NO"
        )
        assert found is not None
        subjects_service.set_restricted(session, found.id, True)
    database = Path(make_url(sqlite_url).database or "")
    wal = database.with_name(database.name + "-wal")
    before_checkpoint = wal.read_bytes() if wal.exists() else b""
    engine.dispose()  # checkpoint the WAL into the main file
    blobs = [database.read_bytes(), before_checkpoint]
    assert len(blobs[0]) > 0
    for blob in blobs:
        for group in _forms().values():
            for form in group:
                for encoded in [*_encodings(form), *_encodings(form.lower())]:
                    assert encoded not in blob, f"{form!r} found in the SQLite file"


def test_lookup_by_any_spelling(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        created = _create(session)
    with runtime.uow.read() as session:
        for kind, spelled in [
            ("email", " kari.kryptert@EXAMPLE.COM "),
            ("phone", "41234567"),
            ("phone", "0047 412 34 567"),
            ("national_id", FNR),
            ("national_id", f"{FNR[:6]}-{FNR[6:]}"),
            ("customer_number", " K-1 "),
        ]:
            found = subjects_service.find_by_identifier(
                session, kind, spelled, secret=TEST_SECRET, default_region="NO"
            )
            assert found is not None and found.id == created.id, (kind, spelled)
        assert (
            subjects_service.find_by_identifier(
                session, "email", "someone.else@example.com", secret=TEST_SECRET, default_region="NO"
            )
            is None
        )


def test_normalised_email_and_phone_find_the_same_subject(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        created = subjects_service.create_subject(
            session,
            identifiers={"email": " Ola@Example.COM ", "phone": "+47 912 34 567"},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    with runtime.uow.read() as session:
        by_email = subjects_service.find_by_identifier(
            session, "email", "ola@example.com", secret=TEST_SECRET, default_region="NO"
        )
        by_phone = subjects_service.find_by_identifier(
            session, "phone", "91234567", secret=TEST_SECRET, default_region="NO"
        )
    assert by_email is not None and by_phone is not None
    assert by_email.id == by_phone.id == created.id


def test_wrong_secret_cannot_decrypt_nor_find(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        created = _create(session)
    with runtime.uow.read() as session:
        assert (
            subjects_service.find_by_identifier(
                session, "national_id", FNR, secret=OTHER_SECRET, default_region="NO"
            )
            is None
        )
        with pytest.raises(DecryptionError):
            subjects_service.identities_of(session, created.id, secret=OTHER_SECRET)
        with pytest.raises(DecryptionError):
            subjects_service.get_subject(session, created.id, secret=OTHER_SECRET)


def test_subject_read_masks_the_national_id(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        created = _create(session)
    assert created.display_name == NAME
    masked = created.identifier("national_id")
    assert masked is not None
    assert masked.endswith(FNR[-2:])
    assert FNR[:6] not in masked and FNR not in created.model_dump_json()
    assert created.identifier("email") == EMAIL.lower()
    assert created.identifier("phone") == "+4741234567"


def test_invalid_national_id_is_refused_naming_the_kind(runtime: Runtime) -> None:
    broken = FNR[:-1] + str((int(FNR[-1]) + 1) % 10)
    with pytest.raises(ValidationFailedError) as excinfo, runtime.uow.begin() as session:
        subjects_service.create_subject(
            session,
            identifiers={"email": "valid@example.com", "national_id": broken},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    assert "national_id" in excinfo.value.message
    assert broken not in excinfo.value.message
    with runtime.uow.read() as session:  # nothing was written, not even the valid e-mail
        assert (
            subjects_service.find_by_identifier(
                session, "email", "valid@example.com", secret=TEST_SECRET, default_region="NO"
            )
            is None
        )


def test_unknown_identifier_kind_is_refused(runtime: Runtime) -> None:
    with (
        pytest.raises(ValidationFailedError, match="unknown identifier kind"),
        runtime.uow.begin() as session,
    ):
        subjects_service.create_subject(
            session,
            identifiers={"passport": "X1"},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )


def test_duplicate_identity_is_a_conflict(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        first = _create(session)
    with pytest.raises(ConflictError, match="national_id"), runtime.uow.begin() as session:
        subjects_service.create_subject(
            session,
            identifiers={"national_id": FNR},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    with runtime.uow.begin() as session:
        other = subjects_service.create_subject(
            session,
            identifiers={"email": "other@example.com"},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
        with pytest.raises(ConflictError, match="email"):
            subjects_service.add_identifier(
                session,
                other.id,
                "email",
                EMAIL,
                clock=runtime.clock,
                default_region="NO",
                secret=TEST_SECRET,
            )
        # Adding an identity the subject already has is a no-op, not a conflict.
        again = subjects_service.add_identifier(
            session,
            first.id,
            "email",
            EMAIL.upper(),
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
        assert [i.kind for i in again.identifiers].count("email") == 1


def test_find_by_any(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        kari = _create(session)
        ola = subjects_service.create_subject(
            session,
            identifiers={"email": "ola@example.com"},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    with runtime.uow.read() as session:
        found = subjects_service.find_by_any(
            session,
            {"email": "nobody@example.com", "phone": "412 34 567"},
            secret=TEST_SECRET,
            default_region="NO",
        )
        assert found is not None and found.id == kari.id
        assert (
            subjects_service.find_by_any(
                session, {"email": "nobody@example.com"}, secret=TEST_SECRET, default_region="NO"
            )
            is None
        )
        with pytest.raises(ConflictError, match="different subjects"):
            subjects_service.find_by_any(
                session,
                {"email": "ola@example.com", "national_id": FNR},
                secret=TEST_SECRET,
                default_region="NO",
            )
    assert ola.id != kari.id


def test_restrict_remove_identifier_and_delete(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        created = _create(session)
        subjects_service.set_restricted(session, created.id, True)
        subjects_service.mark_seen(session, created.id, clock=runtime.clock)
        assert subjects_service.remove_identifier(
            session, created.id, "phone", "41234567", default_region="NO", secret=TEST_SECRET
        )
        assert not subjects_service.remove_identifier(
            session, created.id, "phone", "41234567", default_region="NO", secret=TEST_SECRET
        )
    with runtime.uow.read() as session:
        read = subjects_service.get_subject(session, created.id, secret=TEST_SECRET)
    assert read.restricted
    assert read.last_seen_at == runtime.clock.now()
    assert read.identifier("phone") is None
    with runtime.uow.begin() as session:
        subjects_service.delete_subject(session, created.id)
    with runtime.uow.read() as session:
        assert (
            subjects_service.find_by_identifier(
                session, "email", EMAIL, secret=TEST_SECRET, default_region="NO"
            )
            is None
        )
        with pytest.raises(NotFoundError):
            subjects_service.get_subject(session, created.id, secret=TEST_SECRET)
    _assert_no_clear_values_in_tables(runtime)
