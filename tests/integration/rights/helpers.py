"""Shared set-up for rights tests: a demo pack loaded, and a subject with data in every table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, insert, select

from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.conversations import service as conversations_service
from tillit.datasets import service as datasets_service
from tillit.packs.demo import load_demo
from tillit.retention import service as retention_service
from tillit.rights.collect import expand_identities
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

ACTOR = Actor.system("test")


def richest_subject(runtime: Runtime) -> tuple[str, dict[str, int]]:
    """The demo subject with rows in the most datasets (and the rows per dataset)."""
    policy = runtime.policy
    secret = runtime.settings.secret_key
    best: tuple[str, dict[str, int]] | None = None
    with runtime.uow.begin() as session:
        from tillit.subjects.models import Subject  # test-only: list every subject

        for (subject_id,) in session.execute(select(Subject.id)).all():
            identities = expand_identities(
                session,
                policy,
                subjects_service.identities_of(session, subject_id, secret=secret),
                actor=ACTOR,
                clock=runtime.clock,
                subject_id=subject_id,
            )
            counts = {
                d.id: len(
                    datasets_service.matching_keys(
                        session,
                        d,
                        identities,
                        actor=ACTOR,
                        purpose=d.purposes[0],
                        clock=runtime.clock,
                        default_region=policy.organisation.country,
                    )
                )
                for d in policy.datasets
            }
            score = sum(1 for n in counts.values() if n)
            if best is None or score > sum(1 for n in best[1].values() if n):
                best = (subject_id, counts)
    assert best is not None
    return best


def fill_missing_datasets(runtime: Runtime, subject_id: str, counts: dict[str, int]) -> None:
    """Give the subject a row in every dataset they have none in: a copy of another row with the
    subject's identities in the identity columns, and its holds."""
    policy = runtime.policy
    with runtime.uow.begin() as session:
        identities = expand_identities(
            session,
            policy,
            subjects_service.identities_of(session, subject_id, secret=runtime.settings.secret_key),
            actor=ACTOR,
            clock=runtime.clock,
            subject_id=subject_id,
        )
        for dataset in policy.datasets:
            if counts.get(dataset.id):
                continue
            table = MetaData()
            table.reflect(bind=session.connection(), only=[dataset.table])
            t = table.tables[dataset.table]
            template = session.execute(select(t).limit(1)).mappings().first()
            assert template is not None, f"{dataset.id} has no rows to copy"
            row: dict[str, Any] = dict(template)
            pk = t.c[dataset.primary_key]
            if pk.type.python_type is int:
                row[dataset.primary_key] = (
                    int(session.execute(select(pk).order_by(pk.desc()).limit(1)).scalar_one()) + 1000
                )
            else:
                row[dataset.primary_key] = f"rights-test-{dataset.id}"
            usable = [i for i in dataset.identity if identities.get(i.kind)]
            assert usable, f"the subject has no identity {dataset.identity} for {dataset.id}"
            for ident in dataset.identity:
                row[ident.column] = (
                    identities[ident.kind][0] if identities.get(ident.kind) else row[ident.column]
                )
            for column in list(row):
                if (
                    t.c[column].unique
                    and column != dataset.primary_key
                    and column not in [i.column for i in dataset.identity]
                ):
                    row[column] = f"{row[column]}-r" if isinstance(row[column], str) else row[column]
            session.execute(insert(t).values(**row))
            facts = {name: row[name] for name in dataset.facts}
            facts["record_kind"] = dataset.id
            facts.setdefault("created_at", runtime.clock.now())
            from tillit.packs.demo import _as_fact

            retention_service.assign_holds(
                session,
                policy,
                record_type=dataset.id,
                record_id=str(row[dataset.primary_key]),
                facts={k: _as_fact(v) for k, v in facts.items()},
                clock=runtime.clock,
            )


def give_conversation_and_consents(runtime: Runtime, subject_id: str) -> str:
    """A closed advisor conversation with IP, handoff contact and feedback; a consent granted."""
    policy = runtime.policy
    secret = runtime.settings.secret_key
    with runtime.uow.begin() as session:
        started = conversations_service.start(
            session,
            policy,
            language=policy.organisation.default_language,
            clock=runtime.clock,
            secret=secret,
            subject_id=subject_id,
            ip_address="192.0.2.10",
        )
        cid = started.conversation.id
        conversations_service.add_message(
            session, policy, cid, author="customer", text="Hei, jeg trenger hjelp", clock=runtime.clock
        )
        conversations_service.add_message(
            session, policy, cid, author="bot", text="Hva kan jeg hjelpe med?", clock=runtime.clock
        )
        conversations_service.request_handoff(session, policy, cid, clock=runtime.clock)
        from tillit.conversations.schemas import HandoffContactCreate

        conversations_service.give_handoff_contact(
            session,
            policy,
            cid,
            HandoffContactCreate(name="Kari Nordmann", email="kari@example.com", phone="+4791234567"),
            clock=runtime.clock,
            secret=secret,
        ) if _has_kind(policy, "handoff_contact") else None
        conversations_service.take(session, policy, cid, advisor_id="advisor-1", clock=runtime.clock)
        conversations_service.add_message(
            session,
            policy,
            cid,
            author="advisor",
            author_id="advisor-1",
            text="Jeg hjelper deg.",
            clock=runtime.clock,
        )
        conversations_service.close(session, policy, cid, clock=runtime.clock)
        if _has_kind(policy, "feedback"):
            from tillit.conversations.schemas import FeedbackCreate

            conversations_service.give_feedback(
                session, policy, cid, FeedbackCreate(rating=5, comment="Bra"), clock=runtime.clock
            )
        for purpose in policy.purposes:
            if purpose.legal_basis == "consent" and purpose.withdrawal:
                consent_service.record_event(
                    session,
                    policy,
                    ConsentEventCreate(
                        subject_id=subject_id,
                        purpose=purpose.id,
                        action="grant",
                        source="privacy_centre",
                        actor_type="customer",
                        actor_id=subject_id,
                    ),
                    clock=runtime.clock,
                )
                break
    return cid


def _has_kind(policy: Any, kind: str) -> bool:
    return bool(policy.purposes_holding(kind))


def load(runtime: Runtime) -> str:
    load_demo(runtime)
    subject_id, counts = richest_subject(runtime)
    fill_missing_datasets(runtime, subject_id, counts)
    give_conversation_and_consents(runtime, subject_id)
    return subject_id
