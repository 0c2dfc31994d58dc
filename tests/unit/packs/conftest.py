"""Fixtures of the pack tests. A module names its pack in `PACK` (or parametrizes `pack`) and the moment
of its business data in `NOW`; it gets the pack's loaded policy and the data generated at `NOW`."""

from __future__ import annotations

import pytest

from tillit.packs.base import BusinessData
from tillit.packs.demo import business_module
from tillit.policy.loader import LoadedPolicy, load_pack
from tillit.policy.schema import Policy


@pytest.fixture(scope="module")
def pack(request: pytest.FixtureRequest) -> str:
    return str(request.module.PACK)


@pytest.fixture(scope="module")
def loaded(pack: str) -> LoadedPolicy:
    return load_pack(pack)


@pytest.fixture(scope="module")
def policy(loaded: LoadedPolicy) -> Policy:
    return loaded.policy


@pytest.fixture(scope="module")
def data(request: pytest.FixtureRequest, pack: str) -> BusinessData:
    generated = business_module(pack).generate(request.module.NOW)
    assert isinstance(generated, BusinessData)
    return generated
