"""Every demo pack's policy passes lint with no errors (warnings are reported, not failed).

Parametrized over the packs present, so each pack is covered from the moment it lands.
"""

from __future__ import annotations

import pytest

from tillit.policy import lint
from tillit.policy.loader import available_packs, pack_policy_path


@pytest.mark.parametrize("pack", available_packs())
def test_pack_policy_has_no_lint_errors(pack: str) -> None:
    findings = lint.lint_file(pack_policy_path(pack), f"{pack}/policy.yaml")
    errors = [f.render() for f in findings if f.severity == "error"]
    assert errors == [], "\n".join(errors)
