"""Acceptance: for a subject with data in every table and dataset of each pack, the access package holds
every record the policy's declarations lead to, and after erasure nothing is left without a legal reason."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest

from tests.conftest import make_settings
from tests.integration.rights.helpers import ACTOR, load
from tillit.core.clock import FixedClock
from tillit.rights import completeness, service
from tillit.rights.collect import expand_identities
from tillit.rights.schemas import RequestCreate
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

PACKS = ["bank", "parcel", "saas", "telecom"]


@pytest.fixture(params=PACKS)
def pack_runtime(request: pytest.FixtureRequest, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack=request.param), clock=clock)
    yield rt
    rt.close()


def _file(rt: Runtime, subject_id: str, type_: str) -> str:
    with rt.uow.begin() as session:
        return service.file_request(
            session,
            rt.policy,
            RequestCreate(
                type=type_,
                channel="privacy_centre",
                language=rt.policy.organisation.default_language,
                subject_id=subject_id,
            ),  # type: ignore[arg-type]
            clock=rt.clock,
            actor=f"customer:{subject_id}",
        ).id


def test_access_package_is_complete_and_erasure_leaves_only_legal_obligations(pack_runtime: Runtime) -> None:
    rt = pack_runtime
    secret = rt.settings.secret_key
    subject_id = load(rt)
    with rt.uow.begin() as session:
        identities = expand_identities(
            session,
            rt.policy,
            subjects_service.identities_of(session, subject_id, secret=secret),
            actor=ACTOR,
            clock=rt.clock,
            subject_id=subject_id,
        )
        before = completeness.inventory(
            session, rt.policy, subject_id, identities=identities, clock=rt.clock, secret=secret
        )
    for dataset in rt.policy.datasets:
        assert before[dataset.id], f"the subject has no row in {dataset.id}"
    assert before["conversation"] and before["subject"]
    if any(p.legal_basis == "consent" for p in rt.policy.purposes):
        assert before["consent_record"]

    access = _file(rt, subject_id, "access")
    with rt.uow.begin() as session:
        evidence = service.execute(
            session, rt.policy, access, actor="staff:dpo-1", clock=rt.clock, secret=secret
        )
        package = service.access_package(session, rt.policy, access, clock=rt.clock, secret=secret)
    assert evidence.request.status == "completed"
    assert completeness.missing_from_access(before, package) == []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        html = archive.read("index.html").decode()
        document = json.loads(archive.read("data.json"))
    assert f'lang="{rt.policy.organisation.default_language}"' in html
    dataset_records = [r for r in document["records"] if r["source"] == "dataset"]
    assert all(r["purposes"] and r["purposes"][0]["legal_basis"] for r in dataset_records)

    erasure = _file(rt, subject_id, "erasure")
    with rt.uow.begin() as session:
        evidence = service.execute(
            session, rt.policy, erasure, actor="staff:dpo-1", clock=rt.clock, secret=secret
        )
    with rt.uow.begin() as session:
        after = completeness.inventory(
            session, rt.policy, subject_id, identities=identities, clock=rt.clock, secret=secret
        )
    assert completeness.left_after_erasure(before, after, evidence) == []
    assert not after["conversation"] or any(
        line.record_type == "conversation" and line.kept_reasons for line in evidence.lines
    )
