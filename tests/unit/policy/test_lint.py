"""The policy lint: each rule reports its defect with the right code, message and line.

Two tables: broken files under `tests/fixtures/policies/broken/` (one defect each, readable on their own
and usable with `tillit policy lint`), and inline variants of `minimal.yaml` built by exact text edits,
located by a marker line. Together they exercise every rule in `RULES` (checked below), and a list of
near-miss variants proves the rules do not fire on valid policies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tillit.policy import lint
from tillit.policy.lint_rules.texts import local_texts
from tillit.policy.loader import PolicyError, load_file, load_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "policies"
MINIMAL_PATH = FIXTURES / "minimal.yaml"
BROKEN = FIXTURES / "broken"
MINIMAL = MINIMAL_PATH.read_text(encoding="utf-8")

# (file, expected line, code, expected substring of the message)
FILE_CASES: list[tuple[str, int, str, str]] = [
    (
        "retention_missing.yaml",
        46,
        "retention-missing",
        "holds records (conversation) but has no retention rules",
    ),
    ("retention_no_catch_all.yaml", 49, "retention-no-catch-all", "the last retention rule has a condition"),
    (
        "retention_unreachable.yaml",
        51,
        "retention-unreachable",
        "rule 2 can never apply: rule 1 (line 49) has no",
    ),
    ("retention_anchor_unknown.yaml", 53, "retention-anchor-unknown", "unknown anchor 'closd_at'"),
    ("retention_condition_unknown.yaml", 49, "retention-condition-unknown", "unknown fact 'had_advisr'"),
    ("legitimate_interest_missing.yaml", 40, "legitimate-interest-missing", "add legitimate_interest"),
    ("legal_obligation_missing.yaml", 40, "legal-obligation-missing", "requires naming the law"),
    (
        "consent_withdrawal.yaml",
        57,
        "consent-withdrawal",
        "purpose 'chat_archive': legal basis 'consent' requires withdrawal to be possible",
    ),
    ("transfer_safeguard_missing.yaml", 24, "transfer-safeguard-missing", "'US' is outside the EU/EEA"),
    (
        "category_unknown.yaml",
        42,
        "category-unknown",
        "'user.contact.emial' (did you mean 'user.contact.email'?)",
    ),
    ("category_parent_unknown.yaml", 34, "category-parent-unknown", "parent 'user.content.privat'"),
    ("dataset_field_category_unknown.yaml", 65, "dataset-field-category-unknown", "'user.shoe_size'"),
    ("dataset_category_uncovered.yaml", 65, "dataset-category-uncovered", "column 'phone' stores"),
    ("art9_condition_missing.yaml", 42, "art9-condition-missing", "'user.health_and_medical' is a special"),
    ("text_missing.yaml", 39, "text-missing", "description has no text in 'en'"),
    ("text_empty.yaml", 58, "text-missing", "change log entry '2026-01-01': text is empty in 'en'"),
    ("unknown_recipient.yaml", 45, "unknown-recipient", "unknown recipient 'chat_vendr'"),
    ("unknown_data_subject.yaml", 43, "unknown-data-subject", "unknown data subject 'kunde'"),
    ("unknown_controller.yaml", 41, "unknown-controller", "unknown controller 'partner'"),
    ("duplicate_id.yaml", 19, "duplicate-id", "id 'eksempel' is already used on line 16"),
    ("fides_data_use_unknown.yaml", 47, "fides-data-use-unknown", "'essential.service.operations.suport'"),
    ("record_kind_unknown.yaml", 46, "record-kind-unknown", "unknown record kind 'conversations'"),
    ("direct_marketing_opt_out.yaml", 60, "direct-marketing-opt-out", "must let the subject opt out"),
    (
        "send_log_unheld.yaml",
        59,
        "send-log-unheld",
        "purpose 'newsletter': direct_marketing: true lets tillit send messages for 'newsletter' and log "
        "each one (record kind marketing_send), but no purpose lists marketing_send in its records",
    ),
    ("changelog_future.yaml", 55, "changelog-future", "dated 2026-03-01, after effective_from 2026-01-01"),
    ("changelog_order.yaml", 59, "changelog-order", "runs newest first, but 2025-09-01 follows 2025-06-01"),
    ("processor_unused.yaml", 20, "processor-unused", "processor 'chat_vendor' is used by no purpose"),
    ("misspelt_key.yaml", 46, "schema", "unknown key 'record'"),
]

# Error codes a broken file may report besides its own (one defect can break two promises).
ALSO_EXPECTED: dict[str, set[str]] = {"retention_unreachable.yaml": {"retention-no-catch-all"}}


def _findings(path: Path) -> list[lint.Finding]:
    return lint.lint_file(path, path.name)


@pytest.mark.parametrize(("filename", "line", "code", "expected"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_broken_file_reports_its_defect_on_its_line(
    filename: str, line: int, code: str, expected: str
) -> None:
    findings = _findings(BROKEN / filename)

    assert any(f.line == line and f.code == code and expected in f.message for f in findings), "\n".join(
        f.render() for f in findings
    )
    severity = next(r.severity for r in lint.RULES if r.code == code) if code != "schema" else "error"
    error_codes = {f.code for f in findings if f.severity == "error"}
    if severity == "error":
        assert error_codes == {code} | ALSO_EXPECTED.get(filename, set())
    else:
        assert error_codes == set()


@pytest.mark.parametrize(("filename", "line", "code", "expected"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_loader_refuses_broken_files_with_file_and_line(
    filename: str, line: int, code: str, expected: str
) -> None:
    path = BROKEN / filename
    severity = next((r.severity for r in lint.RULES if r.code == code), "error")
    if severity == "warning":
        loaded = load_file(path)
        assert any(w.startswith(f"{path}:{line}: ") and expected in w for w in loaded.warnings)
        return
    with pytest.raises(PolicyError) as caught:
        load_file(path)
    assert any(p.startswith(f"{path}:{line}: ") and expected in p for p in caught.value.problems), (
        caught.value
    )


def test_consent_without_withdrawal_reads_exactly_as_specified() -> None:
    text = (BROKEN / "consent_withdrawal.yaml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_text(text, "policy.yaml")
    assert caught.value.problems == [
        "policy.yaml:57: purpose 'chat_archive': legal basis 'consent' requires withdrawal to be possible"
    ]


def test_every_broken_fixture_is_in_the_table() -> None:
    assert {p.name for p in BROKEN.glob("*.yaml")} == {c[0] for c in FILE_CASES}
    assert len(FILE_CASES) >= 16


# ---------------------------------------------------------------------------------------------------------
# Inline variants: minimal.yaml with exact edits; the expected line is the one containing `marker`.

DATASET = """datasets:
  - id: crm_contacts
    name: {nb: Kundekontakter, en: Customer contacts}
    table: crm_contacts
    identity:
      - {column: email, kind: email}
    fields:
      email: user.contact.email
    purposes: [customer_service]
    facts: [closed_at]
    source: given
"""

PURPOSE_TAIL = """    data_categories: [user.contact.email]
    data_subjects: [customer]
changelog:
"""


def purpose(lines: str) -> tuple[str, str]:
    """An edit that adds a purpose (given its own lines, indented 4) before the change log."""
    return (
        "changelog:\n",
        "  - id: extra\n    name: {nb: Ekstra, en: Extra}\n    description: {nb: Ekstra., en: Extra.}\n"
        + lines
        + PURPOSE_TAIL,
    )


def variant(edits: Sequence[tuple[str, str]] = (), append: str = "") -> str:
    text = MINIMAL
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique: {old!r}"
        text = text.replace(old, new)
    return text + append


def line_of(text: str, marker: str) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) == 1, f"marker {marker!r} on lines {hits}"
    return hits[0]


RULE2 = "      - keep: P1Y\n        from: closed_at\n"
LI = "    legal_basis: legitimate_interests\n    legitimate_interest: {nb: Interesse., en: Interest.}\n"
SEND_LOG = "    records: [marketing_send]\n    retention:\n      - keep: P5Y\n        from: sent_at\n"
CONSENT_DM = (
    "    legal_basis: consent\n    withdrawal: true\n    direct_marketing: true\n    channels: [email]\n"
)
DOCUMENTATION = (
    "  - id: documentation\n    name: {nb: Dokumentasjon, en: Documentation}\n"
    "    description: {nb: Dokumentere samtykker., en: Documenting consents.}\n"
    "    legal_basis: legal_obligation\n    legal_obligation: {nb: Loven., en: The law.}\n"
    "    data_categories: [user.contact.email]\n    data_subjects: [customer]\n"
)

Marker = str | tuple[str, int]

# (id, text, marker of the expected line, code, expected substring)
INLINE_CASES: list[tuple[str, str, Marker, str, str]] = [
    (
        "duplicate-entry",
        variant([("data_subjects: [customer]", "data_subjects: [customer, customer]")]),
        "data_subjects: [customer, customer]",
        "duplicate-entry",
        "data_subjects lists 'customer' twice",
    ),
    (
        "duplicate-table",
        variant(
            append=DATASET + DATASET.replace("datasets:\n", "").replace("id: crm_contacts", "id: crm_copy")
        ),
        ("id: crm_copy", 2),
        "duplicate-id",
        "table 'crm_contacts' is already used on line",
    ),
    (
        "unknown-source-purpose",
        variant([("sources: [given]", "sources: [giver]")]),
        "sources: [giver]",
        "unknown-source",
        "unknown source 'giver' (did you mean 'given'?)",
    ),
    (
        "unknown-source-dataset",
        variant(append=DATASET.replace("source: given", "source: elsewhere")),
        "source: elsewhere",
        "unknown-source",
        "unknown source 'elsewhere'",
    ),
    (
        "unknown-purpose",
        variant(append=DATASET.replace("[customer_service]", "[customer_servce]")),
        "[customer_servce]",
        "unknown-purpose",
        "unknown purpose 'customer_servce' (did you mean 'customer_service'?)",
    ),
    (
        "fides-data-use-deprecated",
        variant([("essential.service.operations.support", "personalize.profiling")]),
        "personalize.profiling",
        "fides-data-use-deprecated",
        "'personalize.profiling' is deprecated",
    ),
    (
        "dataset-identity-unmapped",
        variant(
            append=DATASET.replace("kind: email}\n", "kind: email}\n      - {column: phone, kind: phone}\n")
        ),
        "{column: phone",
        "dataset-identity-unmapped",
        "identity column 'phone' holds personal data (phone)",
    ),
    (
        "art9-via-dataset",
        variant(
            [("[user.content.chat_log, user.contact.email]", "[user]")],
            DATASET.replace(
                "email: user.contact.email\n",
                "email: user.contact.email\n      diagnosis: user.health_and_medical.record_id\n",
            ),
        ),
        "diagnosis:",
        "art9-condition-missing",
        "purpose 'customer_service' has no art9_condition",
    ),
    (
        "art9-condition-unused",
        variant([("legal_basis: contract\n", "legal_basis: contract\n    art9_condition: health_care\n")]),
        "art9_condition: health_care",
        "art9-condition-unused",
        "processes no special category",
    ),
    (
        "explicit-consent-withdrawal",
        variant(
            [
                ("legal_basis: contract\n", "legal_basis: contract\n    art9_condition: explicit_consent\n"),
                ("user.contact.email]", "user.contact.email, user.biometric.voice]"),
            ]
        ),
        "art9_condition: explicit_consent",
        "consent-withdrawal",
        "art9_condition 'explicit_consent' requires withdrawal to be possible",
    ),
    (
        "category-parent-cycle",
        variant(
            append="",
            edits=[
                (
                    "purposes:\n",
                    "  - key: user.content.a_log\n    parent: user.content.b_log\n    name: {nb: A, en: A}\n"
                    "  - key: user.content.b_log\n    parent: user.content.a_log\n    name: {nb: B, en: B}\n"
                    "purposes:\n",
                )
            ],
        ),
        "parent: user.content.b_log",
        "category-parent-unknown",
        "leads back to 'user.content.a_log': categories form a cycle",
    ),
    (
        "withdrawal-without-consent",
        variant([("legal_basis: contract\n", "legal_basis: contract\n    withdrawal: true\n")]),
        "withdrawal: true",
        "withdrawal-without-consent",
        "the legal basis is 'contract'",
    ),
    (
        "consent-opt-out",
        variant(
            [
                purpose(
                    "    legal_basis: consent\n    withdrawal: true\n    opt_out: true\n    channels: [sms]\n"
                )
            ]
        ),
        "opt_out: true",
        "consent-opt-out",
        "opt_out has no effect on a consent purpose",
    ),
    (
        "objection-missing",
        variant([purpose(LI)]),
        "legal_basis: legitimate_interests",
        "objection-missing",
        "right to object to processing on 'legitimate_interests' (Art. 21(1))",
    ),
    (
        "objection-false",
        variant([purpose(LI + "    objection: false\n")]),
        "objection: false",
        "objection-missing",
        "set objection: true",
    ),
    (
        "opt-out-without-channels",
        variant([purpose(LI + "    objection: true\n    direct_marketing: true\n    opt_out: true\n")]),
        "opt_out: true",
        "opt-out-without-channels",
        "the purpose lists no channels",
    ),
    (
        "sample-rate-zero",
        variant([("    channels: [chat]\n", "    channels: [chat]\n    sample_rate: 0\n")]),
        "sample_rate: 0",
        "sample-rate",
        "samples nothing",
    ),
    (
        "sample-rate-all-on-li",
        variant([purpose(LI + "    objection: true\n    sample_rate: 1.0\n")]),
        "sample_rate: 1.0",
        "sample-rate",
        "which is no sample",
    ),
    (
        "retention-unused",
        variant([purpose(LI + "    objection: true\n    retention:\n      - keep: P1Y\n")]),
        ("legitimate_interest: {nb: Interesse.", 2),
        "retention-unused",
        "holds no records",
    ),
    (
        "retention-shadowed-by-condition",
        variant(
            [(RULE2, "      - when: {had_advisor: true, complaint: true}\n        keep: P10Y\n" + RULE2)]
        ),
        "{had_advisor: true, complaint: true}",
        "retention-unreachable",
        "rule 2 can never apply: rule 1 (line 49) matches every record this one would",
    ),
    (
        "retention-shadowed-by-list",
        variant(
            [
                ("{had_advisor: true}", "{channel: [chat, email]}"),
                (
                    RULE2,
                    "      - when: {channel: chat}\n        keep: P2Y\n        from: closed_at\n" + RULE2,
                ),
            ]
        ),
        "{channel: chat}",
        "retention-unreachable",
        "rule 2 can never apply",
    ),
    (
        "retention-anchor-some-kinds",
        variant(
            [
                ("records: [conversation]", "records: [conversation, feedback]"),
                (RULE2, "      - keep: P1Y\n        from: last_message_at\n"),
            ]
        ),
        "from: last_message_at",
        "retention-anchor-unknown",
        "anchor 'last_message_at' is not a fact of feedback, which this rule also keeps",
    ),
    (
        "retention-record-kind-not-held",
        variant([("{had_advisor: true}", "{record_kind: feedback}")]),
        "{record_kind: feedback}",
        "retention-condition-unknown",
        "record_kind 'feedback' is not a kind this purpose holds (it holds: conversation)",
    ),
    (
        "retention-subject-kind-not-processed",
        variant([("{had_advisor: true}", "{had_advisor: true, subject_kind: prospect}")]),
        "subject_kind: prospect",
        "retention-condition-unknown",
        "subject_kind 'prospect' is not one of this purpose's data_subjects (customer)",
    ),
    (
        "retention-condition-never-matches",
        variant(
            [
                ("records: [conversation]", "records: [conversation, subject]"),
                ("{had_advisor: true}", "{had_advisor: true, is_customer: true}"),
                (RULE2, "      - keep: P1Y\n"),
            ]
        ),
        "{had_advisor: true, is_customer: true}",
        "retention-condition-unknown",
        "no record this purpose holds has all of the facts had_advisor, is_customer at once",
    ),
    (
        "applies-if-unknown-fact",
        variant(
            [
                (
                    "    records: [conversation]\n",
                    "    records: [conversation]\n    applies_if: {authenticatd: true}\n",
                )
            ]
        ),
        "applies_if:",
        "retention-condition-unknown",
        "unknown fact 'authenticatd' (did you mean 'authenticated'?)",
    ),
    (
        "anchor-on-dataset-without-fact",
        variant(append=DATASET.replace("    facts: [closed_at]\n", "")),
        ("- keep: P1Y", 1),
        "retention-anchor-unknown",
        "anchor 'closed_at' is not a fact of crm_contacts",
    ),
    (
        "send-log-unheld-names-every-marketing-purpose",
        variant(
            [
                purpose(CONSENT_DM),
                (
                    "  - id: extra\n",
                    "  - id: other\n    name: {nb: Annen, en: Other}\n"
                    "    description: {nb: Annen., en: Other.}\n"
                    + CONSENT_DM
                    + "    data_categories: [user.contact.email]\n    data_subjects: [customer]\n"
                    + "  - id: extra\n",
                ),
            ]
        ),
        ("  - id: other", 5),
        "send-log-unheld",
        "lets tillit send messages for 'other', 'extra' and log each one",
    ),
    (
        "text-unknown-language",
        variant(
            [
                (
                    "{nb: Kundeservice, en: Customer service}",
                    "{nb: Kundeservice, en: Customer service, sv: Kundtjänst}",
                )
            ]
        ),
        "sv: Kundtjänst",
        "text-unknown-language",
        "has a text in 'sv', which is not one of the pack's languages (en, nb)",
    ),
    (
        "text-missing-in-retention-note",
        variant([("        keep: P5Y\n", "        keep: P5Y\n        note: {nb: Fem år etter samtalen.}\n")]),
        "note:",
        "text-missing",
        "retention #1 note has no text in 'en'",
    ),
    (
        "text-missing-in-organisation",
        variant([("  dpo:\n", '  supervisory_authority: {nb: Datatilsynet, en: " "}\n  dpo:\n')]),
        "supervisory_authority",
        "text-missing",
        "organisation supervisory_authority is empty in 'en'",
    ),
    (
        "text-missing-in-recipient-service",
        variant([("{nb: Drift av chatboten, en: Operates the chatbot}", "{en: Operates the chatbot}")]),
        "service:",
        "text-missing",
        "service has no text in 'nb'",
    ),
]


def _expected_line(text: str, marker: Marker) -> int:
    """The line holding `marker`, or (marker, n): n lines below it (for a key repeated in the file)."""
    if isinstance(marker, tuple):
        return line_of(text, marker[0]) + marker[1]
    return line_of(text, marker)


@pytest.mark.parametrize(
    ("case_id", "text", "marker", "code", "expected"), INLINE_CASES, ids=[c[0] for c in INLINE_CASES]
)
def test_inline_variant_reports_its_defect(
    case_id: str, text: str, marker: Marker, code: str, expected: str
) -> None:
    findings = lint.lint_text(text, "policy.yaml")
    line = _expected_line(text, marker)

    assert any(f.line == line and f.code == code and expected in f.message for f in findings), (
        f"expected line {line}\n" + "\n".join(f.render() for f in findings)
    )


def test_every_rule_is_exercised_by_a_case() -> None:
    exercised = {c[2] for c in FILE_CASES} | {c[3] for c in INLINE_CASES}
    assert {r.code for r in lint.RULES} <= exercised


def test_rule_codes_are_unique_and_there_are_enough() -> None:
    codes = [r.code for r in lint.RULES]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 16


# ---------------------------------------------------------------------------------------------------------
# Valid near-misses: the rules must not fire on these.

CLEAN_VARIANTS: list[tuple[str, str]] = [
    ("minimal", MINIMAL),
    ("with-dataset", variant(append=DATASET)),
    (
        "dataset-covered-by-ancestor",
        variant(
            append=DATASET.replace(
                "email: user.contact.email\n",
                "email: user.contact.email\n      phone: user.contact.phone_number\n",
            )
        ).replace("[user.content.chat_log, user.contact.email]", "[user.content.chat_log, user.contact]"),
    ),
    (
        "transfer-with-safeguard",
        variant(
            [
                (
                    "    country: NO\ndata_subjects:",
                    "    country: US\n    transfer_safeguard: scc\ndata_subjects:",
                )
            ]
        ),
    ),
    ("li-with-objection", variant([purpose(LI + "    objection: true\n")])),
    (
        "dm-with-opt-out",
        variant(
            [
                purpose(
                    LI
                    + "    objection: true\n    direct_marketing: true\n"
                    + "    opt_out: true\n    channels: [email]\n"
                    + SEND_LOG
                )
            ]
        ),
    ),
    # the send log held by a documentation purpose (legal obligation), not by the marketing purpose
    (
        "send-log-held-for-documentation",
        variant(
            [
                purpose(CONSENT_DM),
                ("changelog:\n", DOCUMENTATION + SEND_LOG + "changelog:\n"),
            ]
        ),
    ),
    # an earlier rule takes every send-log entry, so the catch-all's anchor need not be one of theirs
    (
        "kind-taken-by-an-earlier-rule",
        variant(
            [
                ("records: [conversation]", "records: [conversation, marketing_send]"),
                (
                    "    retention:\n      - when: {had_advisor: true}\n",
                    "    retention:\n      - when: {record_kind: marketing_send}\n        keep: P1Y\n"
                    "        from: sent_at\n      - when: {had_advisor: true}\n",
                ),
            ]
        ),
    ),
    ("consent-with-withdrawal", variant([purpose("    legal_basis: consent\n    withdrawal: true\n")])),
    ("fideslang-subject", variant([("data_subjects: [customer]", "data_subjects: [customer, prospect]")])),
    (
        "changelog-oldest-first",
        variant(
            [
                (
                    "  - date: 2026-01-01\n",
                    "  - date: 2025-01-01\n    text: {nb: Før., en: Before.}\n  - date: 2026-01-01\n",
                )
            ]
        ),
    ),
    (
        "art9-with-condition",
        variant(
            [
                ("legal_basis: contract\n", "legal_basis: contract\n    art9_condition: health_care\n"),
                ("user.contact.email]", "user.contact.email, user.health_and_medical]"),
            ]
        ),
    ),
    (
        "kind-narrowed-anchor",
        variant(
            [
                ("records: [conversation]", "records: [conversation, feedback]"),
                (
                    RULE2,
                    "      - when: {record_kind: feedback}\n        keep: P1Y\n        from: closed_at\n"
                    "      - keep: P1Y\n",
                ),
            ]
        ),
    ),
]


@pytest.mark.parametrize(("case_id", "text"), CLEAN_VARIANTS, ids=[c[0] for c in CLEAN_VARIANTS])
def test_valid_variant_has_no_findings(case_id: str, text: str) -> None:
    findings = lint.lint_text(text, "policy.yaml")
    assert findings == [], "\n".join(f.render() for f in findings)


def test_minimal_policy_loads_without_errors_or_warnings() -> None:
    loaded = load_file(MINIMAL_PATH)
    assert loaded.warnings == []
    assert lint.lint_file(MINIMAL_PATH) == []


# ---------------------------------------------------------------------------------------------------------
# Before lint: YAML and schema problems carry their line too.


def test_yaml_syntax_error_reports_its_line() -> None:
    text = variant([("    legal_basis: contract\n", "    legal_basis: contract: yes\n")])
    findings = lint.lint_text(text, "policy.yaml")
    assert [(f.line, f.code) for f in findings] == [(40, "yaml")]
    assert "invalid YAML" in findings[0].message
    with pytest.raises(PolicyError) as caught:
        load_text(text, "policy.yaml")
    assert caught.value.problems[0].startswith("policy.yaml:40: invalid YAML")


def test_duplicate_key_reports_the_second_occurrence() -> None:
    text = variant([("    channels: [chat]\n", "    channels: [chat]\n    legal_basis: consent\n")])
    findings = lint.lint_text(text, "policy.yaml")
    assert [(f.line, f.code, f.message) for f in findings] == [
        (42, "duplicate-key", "duplicate key 'legal_basis'")
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        (
            "    channels: [chat]\n",
            "    channels: [chat]\n    withdrawal: maybe\n",
            42,
            "withdrawal: Input should be a valid boolean",
        ),
        ("        keep: P5Y\n", "        keep: 5 years\n", 50, "'5 years' is not an ISO 8601 duration"),
        ("channels: [chat]", "channels: [pigeon]", 41, "'pigeon' is not one of"),
        ("languages: [nb, en]", "languages: nb", 9, "languages: Input should be a valid list"),
    ],
)
def test_wrong_type_reports_its_line(old: str, new: str, line: int, expected: str) -> None:
    findings = lint.lint_text(variant([(old, new)]), "policy.yaml")
    assert any(f.line == line and f.code == "schema" and expected in f.message for f in findings), "\n".join(
        f.render() for f in findings
    )


def test_misspelt_key_is_rejected_with_its_line() -> None:
    with pytest.raises(PolicyError) as caught:
        load_file(BROKEN / "misspelt_key.yaml")
    assert caught.value.problems == [
        f"{BROKEN / 'misspelt_key.yaml'}:46: purpose 'customer_service': unknown key 'record'"
    ]


# ---------------------------------------------------------------------------------------------------------
# One run reports everything, in file order.


def test_one_run_reports_every_problem_of_a_file_in_line_order() -> None:
    text = variant(
        [
            ("    country: NO\ndata_subjects:", "    country: US\ndata_subjects:"),
            ("{nb: Svare på henvendelser., en: Answer enquiries.}", "{nb: Svare på henvendelser.}"),
            ("recipients: [chat_vendor]", "recipients: [chat_vendor, ghost]"),
            ("legal_basis: contract", "legal_basis: consent"),
        ]
    )
    findings = lint.lint_text(text, "policy.yaml")
    assert [(f.line, f.code) for f in findings] == [
        (24, "transfer-safeguard-missing"),
        (39, "text-missing"),
        (40, "consent-withdrawal"),
        (45, "unknown-recipient"),
    ]
    with pytest.raises(PolicyError) as caught:
        load_text(text, "policy.yaml")
    assert len(caught.value.problems) == 4


def test_finding_renders_file_line_code_and_message() -> None:
    finding = lint.Finding("policy.yaml", 42, "consent-withdrawal", "error", "purpose 'x': no")
    assert finding.render() == "policy.yaml:42: [consent-withdrawal] purpose 'x': no"
    warning = lint.Finding("policy.yaml", 7, "objection-missing", "warning", "careful")
    assert warning.render() == "policy.yaml:7: [objection-missing] warning: careful"


def test_missing_file_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    findings = lint.lint_file(tmp_path / "nope.yaml", "nope.yaml")
    assert [f.render() for f in findings] == ["nope.yaml: [yaml] no such policy file"]


# ---------------------------------------------------------------------------------------------------------
# The generic walk over localised texts.


def test_local_texts_finds_every_text_and_no_column_map() -> None:
    text = variant(
        [("        keep: P5Y\n", "        keep: P5Y\n        note: {nb: Fem år., en: Five years.}\n")],
        DATASET,
    )
    paths = {path for path, _ in local_texts(load_text(text).policy)}
    assert ("purposes", 0, "retention", 0, "note") in paths
    assert ("changelog", 0, "text") in paths
    assert ("recipients", 0, "service") in paths
    assert ("datasets", 0, "name") in paths
    assert not any("fields" in path for path in paths)
