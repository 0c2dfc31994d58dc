"""The datasets connector on both backends, against a company table created here with SQLAlchemy Core."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select

from tests.fake_ids import fodselsnummer_for
from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor, AuditEventRead
from tillit.core.errors import PurposeNotAllowedError, ValidationFailedError
from tillit.datasets import service as datasets
from tillit.policy.schema import Dataset, DatasetIdentity
from tillit.runtime import Runtime

OLA_FNR = fodselsnummer_for(date(1980, 5, 17), start=150)
KARI_FNR = fodselsnummer_for(date(1992, 12, 1), start=260)
ADVISOR = Actor.staff("advisor-7")
REGION = "NO"

metadata = MetaData()
sample_customers = Table(
    "sample_customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_number", String(20)),
    Column("national_id", String(20)),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column("full_name", String(200)),
    Column("address", String(200), nullable=False),
    Column("segment", String(20)),
    Column("contract_ended_at", DateTime(timezone=True)),
)

ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "customer_number": "100001",
        "national_id": f"{OLA_FNR[:6]} {OLA_FNR[6:]}",
        "email": "Ola.Nordmann@Example.com",
        "phone": "912 34 567",
        "full_name": "Ola Nordmann",
        "address": "Storgata 1",
        "segment": "private",
        "contract_ended_at": None,
    },
    {
        "id": 2,
        "customer_number": "100002",
        "national_id": KARI_FNR,
        "email": "kari@example.com",
        "phone": "+47 41234567",
        "full_name": "Kari Nordmann",
        "address": "Lillegata 2",
        "segment": "private",
        "contract_ended_at": datetime(2024, 6, 30, tzinfo=UTC),
    },
    {
        "id": 3,
        "customer_number": "100003",
        "national_id": None,
        "email": " ola.nordmann@example.COM ",
        "phone": "0047 98765432",
        "full_name": "Ola N. (second account)",
        "address": "Storgata 1",
        "segment": "business",
        "contract_ended_at": None,
    },
    {
        "id": 4,
        "customer_number": "100004",
        "national_id": "not a number",
        "email": "per@example.com",
        "phone": "12",
        "full_name": "Per Hansen",
        "address": "Elvegata 4",
        "segment": "private",
        "contract_ended_at": None,
    },
    {
        "id": 5,
        "customer_number": "100005",
        "national_id": None,
        "email": "ola.nordmann@example.org",
        "phone": "912 34 568",
        "full_name": "Another Ola",
        "address": "Fjellveien 5",
        "segment": "private",
        "contract_ended_at": None,
    },
]

DATASET = Dataset(
    id="sample_customers",
    name={"en": "Customers"},
    table="sample_customers",
    primary_key="id",
    identity=[
        DatasetIdentity(column="customer_number", kind="customer_number"),
        DatasetIdentity(column="national_id", kind="national_id"),
        DatasetIdentity(column="email", kind="email"),
        DatasetIdentity(column="phone", kind="phone"),
    ],
    fields={
        "full_name": "user.name",
        "address": "user.contact.address",
        "email": "user.contact.email",
        "phone": "user.contact.phone_number",
        "national_id": "user.government_id.national_identification_number",
    },
    purposes=["customer_service", "credit_assessment"],
    facts=["segment", "contract_ended_at"],
)


@pytest.fixture
def connector(runtime: Runtime) -> Runtime:
    metadata.create_all(runtime.engine)
    with runtime.engine.begin() as conn:
        conn.execute(sample_customers.insert(), ROWS)
    return runtime


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in rows]


def _events(runtime: Runtime) -> list[AuditEventRead]:
    with runtime.uow.read() as session:
        return audit_service.tail(session, 100)


def _remaining(runtime: Runtime) -> list[int]:
    with runtime.engine.connect() as conn:
        return list(conn.execute(select(sample_customers.c.id).order_by(sample_customers.c.id)).scalars())


def test_select_by_email_in_another_case(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        rows = datasets.select_rows(
            session,
            DATASET,
            {"email": ["OLA.NORDMANN@example.com"]},
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
            default_region=REGION,
            subject_id="subject-ola",
        )
    assert _ids(rows) == [1, 3]
    assert set(rows[0]) == {
        "id",
        "customer_number",
        "national_id",
        "email",
        "phone",
        "full_name",
        "address",
        "segment",
        "contract_ended_at",
    }
    [event] = _events(connector)
    assert (event.actor_type, event.actor_id, event.action) == ("staff", "advisor-7", "dataset.read")
    assert (event.purpose, event.subject_id, event.record_type) == (
        "customer_service",
        "subject-ola",
        "sample_customers",
    )
    assert event.detail == {"rows": 2, "by": "identity", "kinds": ["email"]}


def test_select_by_national_id_stored_with_a_space(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        rows = datasets.select_rows(
            session,
            DATASET,
            {"national_id": [OLA_FNR]},
            actor=ADVISOR,
            purpose="credit_assessment",
            clock=connector.clock,
            default_region=REGION,
        )
        assert _ids(rows) == [1]
        spelled = f"{KARI_FNR[:6]}-{KARI_FNR[6:]}"
        assert _ids(
            datasets.select_rows(
                session,
                DATASET,
                {"national_id": [spelled]},
                actor=ADVISOR,
                purpose="customer_service",
                clock=connector.clock,
                default_region=REGION,
            )
        ) == [2]


def test_select_by_phone_in_another_format(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        for spelled, expected in [("+4791234567", [1]), ("0047 412 34 567", [2]), ("98765432", [3])]:
            rows = datasets.select_rows(
                session,
                DATASET,
                {"phone": [spelled]},
                actor=ADVISOR,
                purpose="customer_service",
                clock=connector.clock,
                default_region=REGION,
            )
            assert _ids(rows) == expected, spelled


def test_select_by_several_identities_at_once(connector: Runtime) -> None:
    identities = {"email": ["kari@example.com"], "customer_number": ["100004"], "phone": ["+4798765432"]}
    with connector.uow.begin() as session:
        rows = datasets.select_rows(
            session,
            DATASET,
            identities,
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
            default_region=REGION,
        )
        assert _ids(rows) == [2, 3, 4]
        assert (
            datasets.select_rows(
                session,
                DATASET,
                {"email": ["nobody@example.com"]},
                actor=ADVISOR,
                purpose="customer_service",
                clock=connector.clock,
                default_region=REGION,
            )
            == []
        )


def test_count_rows(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        count = datasets.count_rows(
            session,
            DATASET,
            {"email": ["ola.nordmann@EXAMPLE.com"]},
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
            default_region=REGION,
        )
    assert count == 2
    [event] = _events(connector)
    assert (event.action, event.detail["rows"]) == ("dataset.count", 2)


def test_delete_rows_by_email(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        deleted = datasets.delete_rows(
            session,
            DATASET,
            {"email": [" Ola.Nordmann@example.com"]},
            actor=Actor.job("erasure"),
            reason="erasure",
            clock=connector.clock,
            default_region=REGION,
            subject_id="subject-ola",
        )
    assert deleted == 2
    assert _remaining(connector) == [2, 4, 5]
    [event] = _events(connector)
    assert (event.actor_type, event.action, event.purpose) == ("job", "dataset.delete", None)
    assert event.detail == {"rows": 2, "reason": "erasure", "by": "identity", "kinds": ["email"]}


def test_delete_is_rolled_back_with_the_callers_transaction(connector: Runtime) -> None:
    class AbortError(Exception):
        pass

    with pytest.raises(AbortError), connector.uow.begin() as session:
        datasets.delete_rows(
            session,
            DATASET,
            {"phone": ["91234567"]},
            actor=ADVISOR,
            reason="erasure",
            clock=connector.clock,
            default_region=REGION,
        )
        raise AbortError
    assert _remaining(connector) == [1, 2, 3, 4, 5]
    assert _events(connector) == []


def test_select_and_delete_by_keys(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        rows = datasets.select_by_keys(
            session,
            DATASET,
            ["4", "2", "99"],
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
        )
        assert _ids(rows) == [2, 4]
        deleted = datasets.delete_by_keys(
            session,
            DATASET,
            ["2", 99],
            actor=Actor.job("retention"),
            reason="retention",
            clock=connector.clock,
        )
        assert deleted == 1
    assert _remaining(connector) == [1, 3, 4, 5]
    read, delete = _events(connector)
    assert (read.action, read.detail) == ("dataset.read", {"rows": 2, "by": "key", "keys": 3})
    assert (delete.action, delete.detail["rows"], delete.detail["reason"]) == (
        "dataset.delete",
        1,
        "retention",
    )


def test_anonymise_rows(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        changed = datasets.anonymise_rows(
            session,
            DATASET,
            [1, 3],
            ["full_name", "email", "phone", "national_id", "customer_number"],
            actor=Actor.job("retention"),
            reason="retention",
            clock=connector.clock,
        )
    assert changed == 2
    with connector.engine.connect() as conn:
        row = conn.execute(select(sample_customers).where(sample_customers.c.id == 1)).one()._mapping
    assert row["full_name"] is None and row["email"] is None and row["national_id"] is None
    assert row["segment"] == "private"  # facts survive anonymisation
    assert row["address"] == "Storgata 1"
    [event] = _events(connector)
    assert event.action == "dataset.anonymise"
    assert event.detail["columns"] == ["full_name", "email", "phone", "national_id", "customer_number"]


def test_anonymise_refuses_not_null_and_undeclared_columns(connector: Runtime) -> None:
    with (
        pytest.raises(ValidationFailedError, match="'address' is NOT NULL"),
        connector.uow.begin() as session,
    ):
        datasets.anonymise_rows(
            session, DATASET, [1], ["address"], actor=ADVISOR, reason="retention", clock=connector.clock
        )
    not_personal = pytest.raises(ValidationFailedError, match="'segment' is not a declared personal column")
    with not_personal, connector.uow.begin() as session:
        datasets.anonymise_rows(
            session, DATASET, [1], ["segment"], actor=ADVISOR, reason="retention", clock=connector.clock
        )
    with pytest.raises(ValidationFailedError, match="NOT NULL"), connector.uow.begin() as session:
        # the default is every personal column, which includes the NOT NULL address
        datasets.anonymise_rows(
            session, DATASET, [1], actor=ADVISOR, reason="retention", clock=connector.clock
        )


def test_iter_rows_in_batches(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        seen = [
            int(row["id"])
            for row in datasets.iter_rows(
                session,
                DATASET,
                2,
                actor=Actor.job("sweeper"),
                purpose="customer_service",
                clock=connector.clock,
            )
        ]
    assert seen == [1, 2, 3, 4, 5]
    events = _events(connector)
    assert [(e.action, e.detail) for e in events] == [
        ("dataset.sweep", {"rows": 2, "batch": 1}),
        ("dataset.sweep", {"rows": 2, "batch": 2}),
        ("dataset.sweep", {"rows": 1, "batch": 3}),
    ]


def test_sweep_may_delete_what_it_has_seen(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        for batch in datasets.iter_batches(
            session, DATASET, 2, actor=Actor.job("sweeper"), purpose="customer_service", clock=connector.clock
        ):
            ended = [
                r["id"] for r in batch if r["contract_ended_at"] is not None or r["segment"] == "business"
            ]
            if ended:
                datasets.delete_by_keys(
                    session,
                    DATASET,
                    ended,
                    actor=Actor.job("sweeper"),
                    reason="retention",
                    clock=connector.clock,
                )
    assert _remaining(connector) == [1, 4, 5]


def test_undeclared_purpose_is_refused_before_reading(connector: Runtime) -> None:
    refused = pytest.raises(
        PurposeNotAllowedError, match="'marketing' is not declared for dataset 'sample_customers'"
    )
    with refused, connector.uow.begin() as session:
        datasets.select_rows(
            session,
            DATASET,
            {"email": ["kari@example.com"]},
            actor=ADVISOR,
            purpose="marketing",
            clock=connector.clock,
            default_region=REGION,
        )
    for call in (
        lambda s: datasets.count_rows(
            s,
            DATASET,
            {"email": ["kari@example.com"]},
            actor=ADVISOR,
            purpose="marketing",
            clock=connector.clock,
        ),
        lambda s: datasets.select_by_keys(
            s, DATASET, [1], actor=ADVISOR, purpose="marketing", clock=connector.clock
        ),
        lambda s: list(
            datasets.iter_rows(s, DATASET, actor=ADVISOR, purpose="marketing", clock=connector.clock)
        ),
    ):
        with pytest.raises(PurposeNotAllowedError), connector.uow.begin() as session:
            call(session)
    assert _events(connector) == []


def test_missing_column_is_reported_with_dataset_and_column(connector: Runtime) -> None:
    broken = DATASET.model_copy(
        update={"fields": {**DATASET.fields, "birth_date": "user.demographic.date_of_birth"}}
    )
    with pytest.raises(ValidationFailedError) as excinfo, connector.uow.begin() as session:
        datasets.check_dataset(session, broken)
    assert "dataset 'sample_customers'" in excinfo.value.message
    assert "no column 'birth_date' (declared as field)" in excinfo.value.message
    assert excinfo.value.details == {
        "dataset": "sample_customers",
        "table": "sample_customers",
        "column": "birth_date",
    }

    wrong_identity = DATASET.model_copy(
        update={"identity": [DatasetIdentity(column="mail", kind="email")], "primary_key": "id"}
    )
    missing = pytest.raises(ValidationFailedError, match="no column 'mail' \\(declared as email identity\\)")
    with missing, connector.uow.begin() as session:
        datasets.select_rows(
            session,
            wrong_identity,
            {"email": ["kari@example.com"]},
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
        )


def test_missing_table_is_reported(runtime: Runtime) -> None:
    missing = pytest.raises(ValidationFailedError, match="table 'sample_customers' does not exist")
    with missing, runtime.uow.begin() as session:
        datasets.check_dataset(session, DATASET)


def test_invalid_identity_value_is_refused(connector: Runtime) -> None:
    with pytest.raises(ValidationFailedError, match="national_id"), connector.uow.begin() as session:
        datasets.select_rows(
            session,
            DATASET,
            {"national_id": ["12345678901"]},
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
            default_region=REGION,
        )


def test_audit_chain_stays_intact_after_connector_use(connector: Runtime) -> None:
    with connector.uow.begin() as session:
        datasets.select_rows(
            session,
            DATASET,
            {"email": ["kari@example.com"]},
            actor=ADVISOR,
            purpose="customer_service",
            clock=connector.clock,
        )
        datasets.delete_by_keys(session, DATASET, [5], actor=ADVISOR, reason="erasure", clock=connector.clock)
    with connector.uow.read() as session:
        result = audit_service.verify(session)
    assert result.ok and result.count == 2
    with connector.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sample_customers)).scalar_one() == 4
