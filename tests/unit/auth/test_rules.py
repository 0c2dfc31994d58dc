from __future__ import annotations

from tillit.auth import rules


def test_supervisor_reads_all_advisor_does_not() -> None:
    assert rules.has_permission(["supervisor"], "conversation.read_all")
    assert not rules.has_permission(["advisor"], "conversation.read_all")


def test_admin_manages_staff_but_reads_no_conversations() -> None:
    assert rules.has_permission(["admin"], "staff.manage")
    assert not rules.has_permission(["admin"], "conversation.reply")


def test_roles_combine() -> None:
    assert rules.permissions_of(["advisor", "dpo"]) >= {"conversation.reply", "rights.manage"}


def test_unknown_roles_are_named() -> None:
    assert rules.unknown_roles(["advisor", "wizard", "root"]) == ["root", "wizard"]


def test_password_rules() -> None:
    assert rules.password_problem("short", "kari") is not None
    assert (
        rules.password_problem("kari-is-my-password", "kari") == "the password must not contain the username"
    )
    assert rules.password_problem("correct horse battery", "kari") is None
