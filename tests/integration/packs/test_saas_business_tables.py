"""The saas pack's business tables are created and filled on both backends, and read back unchanged:
timestamps stay aware UTC, amounts stay exact, and a person is found in every table by an identity."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from tests.integration.packs.conftest import Filled
from tillit.packs.base import BusinessData
from tillit.packs.saas import business

PACK = "saas"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_amounts_stay_exact_and_a_customer_is_found_in_every_table(filled: Filled) -> None:
    data = filled.data
    with filled.engine.connect() as conn:
        invoice = data.rows["saas_invoices"][0]
        stored = conn.execute(select(business.invoices).where(business.invoices.c.id == invoice["id"])).one()
        assert stored.amount_nok == Decimal(invoice["amount_nok"])
        assert stored.issued_at == invoice["issued_at"]
        assert stored.issued_at.tzinfo is not None
        assert stored.fiscal_year_ends_at == invoice["fiscal_year_ends_at"]

        token = data.rows["saas_remember_me_tokens"][0]
        last_used = conn.execute(
            select(business.remember_me_tokens.c.last_used_at).where(
                business.remember_me_tokens.c.token_hash == token["token_hash"]
            )
        ).scalar_one()
        assert last_used == token["last_used_at"]

        customer = next(s for s in data.subjects if s.kind == "customer")
        number = customer.identifiers["customer_number"]
        for table in (business.users, business.login_log, business.invoices):
            found = conn.execute(
                select(func.count()).select_from(table).where(table.c.customer_number == number)
            ).scalar_one()
            assert found >= 1, table.name


def test_the_tables_enforce_their_uniqueness(data: BusinessData, engine: Engine) -> None:
    """A customer number or e-mail cannot belong to two accounts, so an identity finds one person."""
    first = data.rows["saas_users"][0]
    with engine.begin() as conn:
        conn.execute(business.users.insert(), [first])
    duplicate = {**first, "id": first["id"] + 1000, "email": "en.annen@example.com"}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(business.users.insert(), [duplicate])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(business.users)).scalar_one() == 1
