"""Fixtures shared by the marketing tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import make_settings
from tillit.core.clock import FixedClock
from tillit.runtime import Runtime


@pytest.fixture
def telecom(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack="telecom"), clock=clock)
    yield rt
    rt.close()
