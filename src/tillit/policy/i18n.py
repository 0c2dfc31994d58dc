"""Fixed wording of the notice in nb, sv, da and en: Babel catalogues read at run time, durations, names.

The catalogues are the `.po` files under `tillit/locale/`. They are compiled in memory when first used
(`read_po` → `write_mo` into a buffer → `Translations`), so there is no build step and no `.mo` file that
can go stale next to its source. Every message id is English; `N_` marks ids that live in tables here so
that `pybabel extract -F babel.cfg` (and the catalogue completeness test) find them.

Durations use CLDR through `babel.units`, except days: CLDR's Norwegian and Swedish "duration-day" is
"døgn"/"dygn" (a 24-hour period), which reads oddly in a notice, so days come from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from babel.units import format_unit

from tillit.core.errors import ValidationFailedError

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
CATALOGUE_LANGUAGES: tuple[str, ...] = ("nb", "sv", "da", "en")
"""Languages with a catalogue; a notice can only be rendered in one of these."""

_DURATION = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$")
_ARTICLE = re.compile(r"^(?P<article>\d+)(?:\((?P<paragraph>\d+)\))?(?:\((?P<point>[a-z])\))?$")


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message id for extraction without translating it here (it is translated where shown)."""
    return message


@cache
def translations(lang: str) -> Translations:
    """The compiled catalogue for `lang`, built once per process from its `.po` file (fuzzy entries are
    left out, so a half-done translation falls back to English rather than showing a guess)."""
    if lang not in CATALOGUE_LANGUAGES:
        known = ", ".join(CATALOGUE_LANGUAGES)
        raise ValidationFailedError(f"no catalogue for language '{lang}' (available: {known})")
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def language_name(code: str, in_lang: str | None = None) -> str:
    """The language's own name ("norsk bokmål", "svenska"), capitalised for a menu."""
    name = Locale.parse(code).get_display_name(in_lang or code) or code
    return name[:1].upper() + name[1:]


def prettify(key: str) -> str:
    """A readable fallback for an identifier nobody named: `user.content.chat_log` → "Chat log"."""
    last = key.rsplit(".", 1)[-1].replace("_", " ").strip()
    return last[:1].upper() + last[1:] if last else key


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- fixed vocabularies ------------------------------------------------------------------------------

FIDES_CATEGORY_NAMES: dict[str, str] = {
    "system": N_("System data"),
    "system.authentication": N_("Authentication data"),
    "system.operations": N_("Operations data"),
    "user": N_("Personal data"),
    "user.account": N_("Account information"),
    "user.account.settings": N_("Account settings"),
    "user.account.username": N_("User name"),
    "user.authorization": N_("Login and access information"),
    "user.authorization.credentials": N_("Login credentials"),
    "user.authorization.biometric": N_("Biometric login credentials"),
    "user.authorization.password": N_("Password"),
    "user.behavior": N_("Observed behaviour"),
    "user.behavior.browsing_history": N_("Browsing history"),
    "user.behavior.media_consumption": N_("Media consumption"),
    "user.behavior.purchase_history": N_("Purchase history"),
    "user.behavior.search_history": N_("Search history"),
    "user.biometric": N_("Biometric data"),
    "user.biometric.fingerprint": N_("Fingerprint"),
    "user.biometric.retinal": N_("Retina scan"),
    "user.biometric.voice": N_("Voice recording"),
    "user.biometric.health": N_("Biometric health data"),
    "user.childrens": N_("Data about children"),
    "user.contact": N_("Contact details"),
    "user.contact.address": N_("Postal address"),
    "user.contact.address.city": N_("City"),
    "user.contact.address.country": N_("Country"),
    "user.contact.address.postal_code": N_("Postcode"),
    "user.contact.address.state": N_("Region"),
    "user.contact.address.street": N_("Street address"),
    "user.contact.email": N_("E-mail address"),
    "user.contact.phone_number": N_("Phone number"),
    "user.contact.url": N_("Website"),
    "user.contact.fax_number": N_("Fax number"),
    "user.contact.organization": N_("Organisation"),
    "user.content": N_("Content you provide"),
    "user.content.private": N_("Private content"),
    "user.content.public": N_("Public content"),
    "user.content.self_image": N_("Photo of you"),
    "user.demographic": N_("Demographic data"),
    "user.demographic.age_range": N_("Age range"),
    "user.demographic.date_of_birth": N_("Date of birth"),
    "user.demographic.gender": N_("Gender"),
    "user.demographic.language": N_("Language"),
    "user.demographic.marital_status": N_("Marital status"),
    "user.demographic.political_opinion": N_("Political opinion"),
    "user.demographic.profile": N_("Profile data"),
    "user.demographic.race_ethnicity": N_("Racial or ethnic origin"),
    "user.demographic.religious_belief": N_("Religious belief"),
    "user.demographic.sexual_orientation": N_("Sexual orientation"),
    "user.device": N_("Device data"),
    "user.device.cookie": N_("Cookies"),
    "user.device.cookie_id": N_("Cookie ID"),
    "user.device.device_id": N_("Device ID"),
    "user.device.ip_address": N_("IP address"),
    "user.location": N_("Location data"),
    "user.location.imprecise": N_("Approximate location"),
    "user.location.precise": N_("Precise location"),
    "user.payment": N_("Payment data"),
    "user.social": N_("Social media data"),
    "user.unique_id": N_("Unique ID"),
    "user.unique_id.pseudonymous": N_("Pseudonymous ID"),
    "user.telemetry": N_("Usage data"),
    "user.user_sensor": N_("Sensor data from your device"),
    "user.sensor": N_("Sensor data"),
    "user.workplace": N_("Workplace"),
    "user.financial": N_("Financial information"),
    "user.financial.bank_account": N_("Bank account details"),
    "user.financial.credit_card": N_("Payment card details"),
    "user.government_id": N_("Government ID"),
    "user.government_id.birth_certificate": N_("Birth certificate"),
    "user.government_id.drivers_license_number": N_("Driving licence number"),
    "user.government_id.immigration": N_("Immigration ID"),
    "user.government_id.national_identification_number": N_("National identity number"),
    "user.government_id.passport_number": N_("Passport number"),
    "user.government_id.vehicle_registration": N_("Vehicle registration number"),
    "user.health_and_medical": N_("Health data"),
    "user.health_and_medical.genetic": N_("Genetic data"),
    "user.health_and_medical.insurance_beneficiary_id": N_("Health insurance number"),
    "user.health_and_medical.record_id": N_("Medical record number"),
    "user.name": N_("Name"),
    "user.name.first": N_("First name"),
    "user.name.last": N_("Last name"),
    "user.criminal_history": N_("Criminal convictions and offences"),
    "user.privacy_preferences": N_("Privacy choices"),
    "user.job_title": N_("Job title"),
}
"""Readable names for every fideslang data category (its own names are English and terse)."""

LEGAL_BASIS_NAMES: dict[str, str] = {
    "consent": N_("Consent"),
    "contract": N_("Performance of a contract with you"),
    "legal_obligation": N_("Legal obligation"),
    "vital_interests": N_("Vital interests"),
    "public_task": N_("Task in the public interest or official authority"),
    "legitimate_interests": N_("Legitimate interests"),
}

ART9_CONDITIONS: dict[str, tuple[str, str]] = {
    "explicit_consent": (N_("Explicit consent"), "9(2)(a)"),
    "employment_law": (N_("Employment and social security law"), "9(2)(b)"),
    "vital_interests": (N_("Vital interests"), "9(2)(c)"),
    "not_for_profit": (N_("Activities of a not-for-profit body"), "9(2)(d)"),
    "made_public": (N_("Data you have made public yourself"), "9(2)(e)"),
    "legal_claims": (N_("Legal claims"), "9(2)(f)"),
    "substantial_public_interest": (N_("Substantial public interest"), "9(2)(g)"),
    "health_care": (N_("Health or social care"), "9(2)(h)"),
    "public_health": (N_("Public health"), "9(2)(i)"),
    "archiving_research": (N_("Archiving, research or statistics"), "9(2)(j)"),
}

CHANNEL_NAMES: dict[str, str] = {
    "chat": N_("chat"),
    "phone": N_("phone"),
    "email": N_("e-mail"),
    "sms": N_("SMS"),
    "letter": N_("letter"),
    "online_bank": N_("online bank"),
    "app": N_("app"),
    "social": N_("social media"),
    "web": N_("website"),
    "event": N_("events"),
    "external_channels": N_("external channels"),
    "in_person": N_("in person"),
}

RECIPIENT_ROLES: dict[str, str] = {
    "processor": N_("data processor"),
    "sub_processor": N_("sub-processor"),
    "controller": N_("independent controller"),
    "joint_controller": N_("joint controller"),
    "authority": N_("public authority"),
    "third_party": N_("third party"),
}

TRANSFER_SAFEGUARDS: dict[str, tuple[str, str]] = {
    "adequacy": (N_("an adequacy decision by the European Commission"), "45"),
    "scc": (N_("the EU standard contractual clauses"), "46(2)(c)"),
    "bcr": (N_("binding corporate rules"), "47"),
    "derogation": (N_("a derogation for specific situations"), "49"),
}

ANCHORS: dict[str, str] = {
    "closed_at": N_("after the conversation ended"),
    "created_at": N_("after it was recorded"),
    "last_message_at": N_("after the last message"),
    "last_used_at": N_("after it was last used"),
    "last_seen_at": N_("after your last contact with us"),
    "contract_ended_at": N_("after the customer relationship ended"),
    "withdrawn_at": N_("after the consent was withdrawn"),
    "completed_at": N_("after it was completed"),
    "occurred_at": N_("after it happened"),
    "matched_at": N_("after the matching"),
    "sent_at": N_("after it was sent"),
    "issued_at": N_("after it was issued"),
    "delivered_at": N_("after delivery"),
    "paid_at": N_("after payment"),
    "ended_at": N_("after it ended"),
    "subscription_ends_at": N_("after the subscription ends"),
    "last_interaction_at": N_("after the last interaction with us"),
    "process_closed_at": N_("after the process has been closed"),
    "fiscal_year_ends_at": N_("after the end of the financial year"),
    "due_at": N_("after the due date"),
    "started_at": N_("after the start time"),
}
"""Retention anchors (facts on a record) in words; an unknown anchor falls back to "after <fact>"."""

BOOLEAN_FACTS: dict[str, tuple[str, str]] = {
    "had_advisor": (N_("you have talked to an advisor"), N_("you have not talked to an advisor")),
    "complaint": (N_("the conversation is a complaint"), N_("the conversation is not a complaint")),
    "authenticated": (N_("you were logged in"), N_("you were not logged in")),
    "deleted_by_customer": (N_("you have deleted it yourself"), N_("you have not deleted it yourself")),
    "advisory": (N_("you received advice"), N_("you did not receive advice")),
    "is_customer": (N_("you are a customer"), N_("you are not a customer")),
}
"""Yes/no facts as the clause after "if", for true and for false."""

CONSENT_STATES: dict[str, str] = {
    "granted": N_("the consent is given"),
    "withdrawn": N_("the consent has been withdrawn"),
    "opted_out": N_("you have opted out"),
    "objected": N_("you have objected"),
}
"""States of a consent record (the `state` fact) as the clause after "if"."""

RECORD_KIND_NAMES: dict[str, str] = {
    "conversation": N_("conversations"),
    "conversation_ip": N_("IP addresses from chat"),
    "handoff_contact": N_("contact details given while waiting for an advisor"),
    "feedback": N_("feedback"),
    "subject": N_("information identifying you"),
    "consent_record": N_("records of your consents"),
    "rights_request": N_("your privacy requests"),
    "matching_export": N_("hashed contact lists for customer matching"),
    "marketing_send": N_("the log of messages we have sent you"),
}

SELF_SERVICE_ACTIONS: dict[str, str] = {
    "view": N_("view"),
    "download": N_("download"),
    "delete": N_("delete"),
}
"""What a person can do themselves with a record, as verbs for "You can ... it yourself"."""

STAFF_ROLES: dict[str, str] = {
    "advisor": N_("customer advisors"),
    "supervisor": N_("supervisors"),
    "marketing": N_("marketing staff"),
    "dpo": N_("the data protection officer"),
    "security_officer": N_("security-cleared staff"),
    "admin": N_("administrators"),
}

SUPERVISORY_AUTHORITIES: dict[str, tuple[str, str]] = {
    "NO": ("Datatilsynet", "https://www.datatilsynet.no"),
    "SE": ("Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se"),
    "DK": ("Datatilsynet", "https://www.datatilsynet.dk"),
    "FI": ("Tietosuojavaltuutetun toimisto", "https://tietosuoja.fi"),
}
"""The supervisory authority of the organisation's country (proper names, not translated)."""


class Wording:
    """Fixed text in one language: catalogue look-ups plus Babel's dates, lists, units and countries."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.translations = translations(lang)
        self.locale = Locale.parse(lang)

    def _(self, message: str, **values: object) -> str:
        """Translate `message` and fill its `%(name)s` placeholders."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def and_list(self, items: Iterable[str]) -> str:
        parts = [item for item in items if item]
        return format_list(parts, style="standard", locale=self.lang) if parts else ""

    def or_list(self, items: Iterable[str]) -> str:
        parts = [item for item in items if item]
        return format_list(parts, style="or", locale=self.lang) if parts else ""

    def date(self, value: date) -> str:
        return format_date(value, format="long", locale=self.lang)

    def country(self, code: str) -> str:
        return str(self.locale.territories.get(code, code))

    def duration(self, iso: str) -> str:
        """`P3Y6M` → "3 år og 6 måneder"; `P0D` → "straks"/"immediately"."""
        match = _DURATION.match(iso)
        if not match or iso == "P":
            raise ValidationFailedError(f"'{iso}' is not an ISO 8601 duration such as P1M, P1Y or P3Y6M")
        amounts = {unit: int(value) for unit, value in match.groupdict().items() if value}
        parts: list[str] = []
        for unit in ("years", "months", "weeks"):
            if amounts.get(unit):
                cldr_unit = "duration-" + unit[:-1]
                parts.append(format_unit(amounts[unit], cldr_unit, length="long", locale=self.lang))
        if amounts.get("days"):
            days = amounts["days"]
            parts.append(self.translations.ngettext("%(num)s day", "%(num)s days", days) % {"num": days})
        if not parts:
            return self._("immediately")
        return self.and_list(parts)

    def article(self, reference: str) -> str:
        """A GDPR article such as `6(1)(f)` the way each language cites it ("GDPR art. 6 nr. 1 bokstav f",
        "artikel 6.1 f", "artikel 6, stk. 1, litra f", "Article 6(1)(f)")."""
        match = _ARTICLE.match(reference)
        if not match:
            return self._("Article %(article)s GDPR", article=reference)
        parts = match.groupdict()
        if parts["point"] and parts["paragraph"]:
            return self._("Article %(article)s(%(paragraph)s)(%(point)s) GDPR", **parts)
        if parts["paragraph"]:
            return self._("Article %(article)s(%(paragraph)s) GDPR", **parts)
        return self._("Article %(article)s GDPR", article=parts["article"])

    def category(self, key: str) -> str:
        message = FIDES_CATEGORY_NAMES.get(key)
        return self._(message) if message else prettify(key)

    def channel(self, key: str) -> str:
        message = CHANNEL_NAMES.get(key)
        return self._(message) if message else prettify(key).lower()

    def legal_basis(self, key: str) -> str:
        return self._(LEGAL_BASIS_NAMES[key])

    def role(self, key: str) -> str:
        return self._(RECIPIENT_ROLES[key])

    def anchor(self, fact: str) -> str:
        message = ANCHORS.get(fact)
        if message:
            return self._(message)
        event = fact.removesuffix("_at").replace("_", " ").strip() or fact
        return self._("after %(event)s", event=event)

    def yes_no(self, value: bool) -> str:
        return self._("yes") if value else self._("no")
