"""The notice rendered from a policy: durations, legal bases, retention in words, sections, languages."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from tillit.core.errors import ValidationFailedError
from tillit.policy.i18n import Wording
from tillit.policy.loader import available_packs, load_file, load_pack
from tillit.policy.render import build_notice, render_notice
from tillit.policy.schema import Policy

MINIMAL = Path(__file__).resolve().parents[2] / "fixtures" / "policies" / "minimal.yaml"


@pytest.fixture(scope="module")
def minimal() -> Policy:
    return load_file(MINIMAL).policy


def variant(policy: Policy, change: Any) -> Policy:
    """A copy of `policy` with `change(data)` applied to its plain data, validated again."""
    data = policy.model_dump(by_alias=True, exclude_none=True)
    change(data)
    return Policy.model_validate(data)


# --- durations --------------------------------------------------------------------------------------------

DURATIONS = {
    "P1M": {"nb": "1 måned", "sv": "1 månad", "da": "1 måned", "en": "1 month"},
    "P1Y": {"nb": "1 år", "sv": "1 år", "da": "1 år", "en": "1 year"},
    "P5Y": {"nb": "5 år", "sv": "5 år", "da": "5 år", "en": "5 years"},
    "P3Y6M": {
        "nb": "3 år og 6 måneder",
        "sv": "3 år och 6 månader",
        "da": "3 år og 6 måneder",
        "en": "3 years and 6 months",
    },
    "P1Y6M": {
        "nb": "1 år og 6 måneder",
        "sv": "1 år och 6 månader",
        "da": "1 år og 6 måneder",
        "en": "1 year and 6 months",
    },
    "P30D": {"nb": "30 dager", "sv": "30 dagar", "da": "30 dage", "en": "30 days"},
    "P1D": {"nb": "1 dag", "sv": "1 dag", "da": "1 dag", "en": "1 day"},
    "P2W": {"nb": "2 uker", "sv": "2 veckor", "da": "2 uger", "en": "2 weeks"},
    "P0D": {"nb": "straks", "sv": "omedelbart", "da": "straks", "en": "immediately"},
}


@pytest.mark.parametrize(
    ("iso", "lang", "expected"),
    [(iso, lang, text) for iso, by_lang in DURATIONS.items() for lang, text in by_lang.items()],
)
def test_durations_read_naturally_in_each_language(iso: str, lang: str, expected: str) -> None:
    assert Wording(lang).duration(iso) == expected


def test_three_units_are_listed_with_commas_and_a_conjunction() -> None:
    assert Wording("nb").duration("P1Y2M3D") == "1 år, 2 måneder og 3 dager"
    assert Wording("en").duration("P1Y2M3D") == "1 year, 2 months, and 3 days"


@pytest.mark.parametrize("bad", ["P", "1Y", "P1H", "PT1H", ""])
def test_a_malformed_duration_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationFailedError):
        Wording("en").duration(bad)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "GDPR art. 6 nr. 1 bokstav f"),
        ("sv", "artikel 6.1 f"),
        ("da", "artikel 6, stk. 1, litra f"),
        ("en", "Article 6(1)(f)"),
    ],
)
def test_legal_basis_articles_are_cited_as_each_language_cites_them(lang: str, expected: str) -> None:
    assert expected in Wording(lang).article("6(1)(f)")


# --- the minimal policy -----------------------------------------------------------------------------------

SECTIONS = {
    "nb": [
        "Hvem er ansvarlig",
        "Kort oppsummert",
        "Slik bruker vi personopplysningene dine",
        "Hvilke opplysninger vi behandler",
        "Hvorfor, og på hvilket rettslig grunnlag",
        "Hvor lenge vi lagrer opplysningene",
        "Hvem som mottar opplysningene",
        "Hvor opplysningene kommer fra",
        "Dine valg",
        "Dine rettigheter",
        "Slik bruker du rettighetene dine",
        "Endringer i denne erklæringen",
    ],
    "en": [
        "Who is responsible",
        "Summary",
        "How we use your personal data",
        "What we process",
        "Why, and on which legal basis",
        "How long we keep it",
        "Who receives it",
        "Where the data comes from",
        "Your choices",
        "Your rights",
        "How to use your rights",
        "Changes to this notice",
    ],
}
EXPECTED = {
    "nb": {
        "title": "Personvernerklæring",
        "article": "GDPR art. 6 nr. 1 bokstav b",
        "basis": "Oppfyllelse av en avtale med deg",
        "conditional": "5 år etter at samtalen ble avsluttet, hvis du har snakket med en rådgiver",
        "otherwise": "I andre tilfeller: 1 år etter at samtalen ble avsluttet",
        "recipient": "Chatvendor AS",
        "role": "databehandler, Norge",
        "authority": "Datatilsynet",
        "version": "Versjon 1.0, gjeldende fra 1. januar 2026.",
        "change": "Første versjon.",
        "category": "E-postadresse",
        "dpo": "personvernombud@example.com",
        "rights": ["Innsyn", "Retting", "Sletting", "Begrensning", "Dataportabilitet", "Protest", "Klage"],
    },
    "en": {
        "title": "Privacy notice",
        "article": "Article 6(1)(b) GDPR",
        "basis": "Performance of a contract with you",
        "conditional": "5 years after the conversation ended, if you have talked to an advisor",
        "otherwise": "In other cases: 1 year after the conversation ended",
        "recipient": "Chatvendor AS",
        "role": "data processor, Norway",
        "authority": "Datatilsynet",
        "version": "Version 1.0, in force from January 1, 2026.",
        "change": "First version.",
        "category": "E-mail address",
        "dpo": "personvernombud@example.com",
        "rights": ["Access", "Rectification", "Erasure", "Restriction", "Data portability", "Objection"],
    },
}


@pytest.mark.parametrize("fmt", ["html", "md"])
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_minimal_policy_renders_every_section(minimal: Policy, lang: str, fmt: str) -> None:
    text = render_notice(minimal, lang, fmt)
    expected = EXPECTED[lang]
    for heading in SECTIONS[lang]:
        assert heading in text, heading
    for key in ("title", "article", "basis", "conditional", "otherwise", "recipient", "role", "authority"):
        assert expected[key] in text, key
    for key in ("version", "change", "category", "dpo"):
        assert expected[key] in text, key
    for right in expected["rights"]:
        assert right in text, right
    assert "%(" not in text, "a placeholder was left unfilled"


def test_retention_rules_are_sentences_in_rule_order(minimal: Policy) -> None:
    purpose = build_notice(minimal, "nb").purposes[0]
    assert [line.text for line in purpose.retention] == [
        "5 år etter at samtalen ble avsluttet, hvis du har snakket med en rådgiver",
        "I andre tilfeller: 1 år etter at samtalen ble avsluttet",
    ]
    assert purpose.retention_summary == "Inntil 5 år"


@pytest.mark.parametrize("lang", ["sv", "da", "fi", "xx", ""])
def test_a_language_the_policy_does_not_declare_is_rejected(minimal: Policy, lang: str) -> None:
    with pytest.raises(ValidationFailedError) as error:
        render_notice(minimal, lang, "md")
    assert error.value.http_status == 422
    assert "nb, en" in error.value.message


def test_an_unknown_format_is_rejected(minimal: Policy) -> None:
    with pytest.raises(ValidationFailedError):
        render_notice(minimal, "nb", "pdf")


def test_markdown_has_headings_a_summary_table_and_lists(minimal: Policy) -> None:
    text = render_notice(minimal, "en", "md")
    assert text.startswith("# Privacy notice: Eksempel AS\n")
    assert "\n## Who is responsible\n" in text
    assert "\n### Customer service\n" in text
    assert "| Purpose | Legal basis | How long |" in text
    assert "| Customer service | Performance of a contract with you | Up to 5 years |" in text
    assert "\n- 5 years after the conversation ended, if you have talked to an advisor\n" in text
    assert "<" not in text.replace("&lt;", ""), "markdown output carries no HTML"


# --- HTML: a valid, accessible document -------------------------------------------------------------------

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "source", "wbr", "area", "base", "embed", "track"}


class _Structure(HTMLParser):
    """Records open/close balance, ids, in-page links, headings and landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.anchors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        href = attributes.get("href") or ""
        if href.startswith("#"):
            self.anchors.append(href[1:])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>")
            return
        self.stack.pop()


def structure(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_standalone_html_is_well_formed_and_accessible(minimal: Policy, lang: str) -> None:
    html = render_notice(minimal, lang, "html")
    assert html.startswith("<!doctype html>")
    assert f'<html lang="{lang}">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    parsed = structure(html)
    assert parsed.errors == []
    assert parsed.stack == []
    tags = [tag for tag, _ in parsed.tags]
    assert tags.count("h1") == 1
    assert "main" in tags and "nav" in tags and "h2" in tags and "h3" in tags
    assert len(parsed.ids) == len(set(parsed.ids)), "ids are unique"
    missing = [a for a in parsed.anchors if a not in parsed.ids]
    assert missing == [], "every table-of-contents link has its target"
    assert {"responsible", "summary", "purposes", "rights", "changes", "purpose-customer_service"} <= set(
        parsed.anchors
    )


def test_the_web_fragment_is_only_the_article(minimal: Policy) -> None:
    html = render_notice(minimal, "nb", "html", standalone=False)
    assert html.lstrip().startswith("<article")
    assert "<html" not in html
    assert structure(html).errors == []


def test_policy_text_is_escaped_in_html_and_markdown(minimal: Policy) -> None:
    def inject(data: dict[str, Any]) -> None:
        data["purposes"][0]["description"]["en"] = "<script>alert(1)</script> *bold* [link](x)"

    policy = variant(minimal, inject)
    html = render_notice(policy, "en", "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render_notice(policy, "en", "md")
    assert "<script>" not in md
    assert r"\*bold\* \[link\](x)" in md


# --- the rest of what a policy can say --------------------------------------------------------------------


def _rich(data: dict[str, Any]) -> None:
    data["controllers"].append({"id": "partner", "name": "Partner AS", "country": "NO"})
    data["recipients"].append(
        {
            "id": "us_cloud",
            "name": "Cloud Inc.",
            "role": "sub_processor",
            "service": {"nb": "Lagring", "en": "Storage"},
            "country": "US",
            "transfer_safeguard": "scc",
        }
    )
    purpose = data["purposes"][0]
    purpose["controllers"] = ["eksempel", "partner"]
    purpose["recipients"] = ["chat_vendor", "us_cloud"]
    purpose["records"] = ["conversation", "handoff_contact"]
    purpose["retention"] = [
        {"when": {"record_kind": "handoff_contact", "complaint": True}, "keep": "P3Y6M", "from": "closed_at"},
        {"when": {"deleted_by_customer": True}, "keep": "P0D", "from": "created_at"},
        {"when": {"region": "north"}, "keep": "P2Y", "from": "closed_at", "action": "anonymise"},
        {"keep": "P1M", "from": "closed_at", "note": {"nb": "En merknad.", "en": "A note."}},
    ]
    data["purposes"].append(
        {
            "id": "newsletter",
            "name": {"nb": "Nyhetsbrev", "en": "Newsletter"},
            "description": {"nb": "Nyheter.", "en": "News."},
            "legal_basis": "consent",
            "withdrawal": True,
            "opt_out": True,
            "direct_marketing": True,
            "channels": ["email", "sms"],
            "data_categories": ["user.contact.email"],
            "data_subjects": ["customer"],
            "records": ["consent_record"],
            "retention": [{"keep": "P2Y", "from": "last_used_at"}],
        }
    )


def test_conditions_anchors_actions_and_notes_in_words(minimal: Policy) -> None:
    policy = variant(minimal, _rich)
    en = build_notice(policy, "en").purposes[0]
    assert [line.text for line in en.retention] == [
        "3 years and 6 months after the conversation ended, for contact details given while waiting for an "
        "advisor, if the conversation is a complaint",
        "Deleted immediately, if you have deleted it yourself",
        "2 years after the conversation ended, if region is north; after that the data is anonymised",
        "In other cases: 1 month after the conversation ended",
    ]
    assert en.retention[-1].note == "A note."
    nb = build_notice(policy, "nb").purposes[0]
    assert nb.retention[0].text == (
        "3 år og 6 måneder etter at samtalen ble avsluttet, for kontaktopplysninger du oppga mens du ventet "
        "på en rådgiver, hvis samtalen gjelder en klage"
    )
    assert nb.retention[1].text == "Slettes straks, hvis du har slettet den selv"


def test_joint_controllers_transfers_and_choices(minimal: Policy) -> None:
    policy = variant(minimal, _rich)
    view = build_notice(policy, "en")
    service, newsletter = view.purposes
    assert service.controllers == "Eksempel AS and Partner AS are joint controllers for this purpose."
    assert view.joint == ["Customer service: Eksempel AS and Partner AS are joint controllers."]
    cloud = service.recipients[1]
    assert (cloud.role, cloud.country) == ("sub-processor", "United States")
    assert cloud.transfer == (
        "Transferred outside the EU/EEA to United States, safeguarded by the EU standard contractual clauses "
        "(Article 46(2)(c) GDPR)."
    )
    assert service.recipients[0].transfer is None, "Norway is in the EEA"
    assert newsletter.legal_basis_article == "Article 6(1)(a) GDPR"
    assert any("withdraw your consent" in c for c in newsletter.choices)
    assert any("object to direct marketing" in c for c in newsletter.choices)
    assert "You can opt out of each channel separately: e-mail and SMS." in newsletter.choices
    assert [r.key for r in view.rights][-2:] == ["withdrawal", "complaint"]
    nb = build_notice(policy, "nb").purposes[0].recipients[1]
    assert nb.transfer is not None and "USA" in nb.transfer and "GDPR art. 46 nr. 2 bokstav c" in nb.transfer


# --- every demo pack --------------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", available_packs())
def test_every_pack_renders_in_each_of_its_languages(pack: str) -> None:
    policy = load_pack(pack).policy
    for lang in policy.languages:
        assert "%(" not in render_notice(policy, lang, "md")
        html = render_notice(policy, lang, "html")
        assert "%(" not in html
        assert structure(html).errors == []
        for purpose in policy.purposes:
            name = purpose.name.get(lang) or next(iter(purpose.name.values()))
            assert str(escape(name)) in html


# (language, the retention line, its note, a sentence of the description) for the telecom send log
TELECOM_SEND_LOG: list[tuple[str, str, str, str]] = [
    (
        "da",
        "2 år efter udsendelsen, for loggen over beskeder, vi har sendt dig",
        "Loggen over, hvad vi har sendt dig, opbevares i 2 år efter afsendelsen som dokumentation for, "
        "hvornår dit samtykke sidst blev anvendt.",
        "Af samme grund opbevarer vi loggen over de beskeder, vi har sendt dig",
    ),
    (
        "en",
        "2 years after it was sent, for the log of messages we have sent you",
        "The log of what we have sent you is kept for 2 years after sending, as evidence of when your "
        "consent was last used.",
        "For the same reason we keep the log of the messages we have sent you",
    ),
]


@pytest.mark.parametrize(("lang", "line", "note", "sentence"), TELECOM_SEND_LOG, ids=["da", "en"])
def test_the_telecom_notice_says_how_long_the_send_log_is_kept(
    lang: str, line: str, note: str, sentence: str
) -> None:
    """Seeds/004: consents are documented "indtil 2 år efter, at de sidst har været anvendt"; the send log
    is that documentation, and the notice says so under the documentation purpose, in both languages."""
    policy = load_pack("telecom").policy
    view = next(p for p in build_notice(policy, lang).purposes if p.id == "consent_documentation")
    assert (line, note) in [(r.text, r.note) for r in view.retention]
    assert sentence in view.description
    for fmt in ("md", "html"):
        rendered = render_notice(policy, lang, fmt)
        assert str(escape(note)) in rendered if fmt == "html" else note in rendered
        assert "marketing send" not in rendered  # the record kind has a name in every language
