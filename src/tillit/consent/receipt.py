"""Consent receipts: one ledger event as a Kantara Consent Receipt v1.1 / ISO/IEC TS 27560 record (pure).

Field mapping (receipt field ← tillit):

- `version` ← "KI-CR-v1.1.0"; `jurisdiction` ← `organisation.country`
- `consentTimestamp` ← event `occurred_at` as Unix seconds (Kantara's format); `consentReceiptID` ← event id
- `collectionMethod` ← event `source` described in words (`COLLECTION_METHODS`)
- `publicKey` ← omitted: receipts are not signed (optional in the specification)
- `language` ← the language the notice was shown in (event `language`)
- `piiPrincipalId` ← HMAC-SHA256 of the subject (or visitor) id under the deployment secret: pseudonymous,
  stable per person, and useless to anyone without the secret
- `piiControllers[]` ← the purpose's `controllers` (or every controller of the policy), each with
  `piiController` (name), `onBehalf` (false), `contact` (the DPO's name), `address`, `email`, `phone`,
  `piiControllerUrl`, falling back to the organisation's contact details
- `policyUrl` ← tillit's rendered notice in that language (`/privacy?lang=...`)
- `services[0].service` ← the organisation's name; `services[0].purposes[0]`:
  `purpose` ← purpose name and description in the language; `purposeCategory` ← [`fides_data_use`,
  the legal basis]; `consentType` ← "EXPLICIT" (every event is an explicit act: a click or a statement to
  an advisor; for legitimate-interest purposes it records an opt-out or objection, see `tillit:event`);
  `piiCategory` ← the purpose's data categories; `primaryPurpose` ← true; `termination` ← how to withdraw
  or object, in the language; `thirdPartyDisclosure`/`thirdPartyName` ← recipients that are controllers,
  third parties or authorities
- `sensitive`/`spiCat` ← the purpose's special-category (Art. 9) data categories
- `tillit:event` (extension) ← action, channel, scope, resulting legal basis, policy version and the
  SHA-256 of the exact notice text shown (retrievable from `consent_notice_text`)
"""

from __future__ import annotations

from typing import Any

from tillit.consent.schemas import ConsentEventRead
from tillit.policy.schema import ART9_CATEGORY_PREFIXES, Policy, Purpose

VERSION = "KI-CR-v1.1.0"
COLLECTION_METHODS: dict[str, str] = {
    "privacy_centre": "Privacy centre: web page, logged in",
    "online_bank": "Online bank settings, logged in",
    "app": "Mobile app settings, logged in",
    "phone_advisor": "Stated to an advisor on the phone, recorded by the advisor",
    "cookie_banner": "Cookie banner on the website",
    "api": "API",
}
_DISCLOSING_ROLES = frozenset({"controller", "joint_controller", "third_party", "authority"})
_TERMINATION: dict[str, dict[str, str]] = {
    "consent": {
        "nb": "Du kan når som helst trekke samtykket tilbake i personvernsenteret: {url}",
        "sv": "Du kan när som helst återkalla samtycket i integritetscentret: {url}",
        "da": "Du kan til enhver tid trække samtykket tilbage i privatlivscentret: {url}",
        "en": "You can withdraw this consent at any time in the privacy centre: {url}",
    },
    "other": {
        "nb": "Du kan når som helst reservere deg eller protestere i personvernsenteret: {url}",
        "sv": "Du kan när som helst avböja eller invända i integritetscentret: {url}",
        "da": "Du kan til enhver tid frabede dig eller gøre indsigelse i privatlivscentret: {url}",
        "en": "You can opt out or object at any time in the privacy centre: {url}",
    },
}


def _text(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()))


def _controllers(policy: Policy, purpose: Purpose) -> list[dict[str, Any]]:
    org = policy.organisation
    chosen = [c for c in policy.controllers if c.id in purpose.controllers] or list(policy.controllers)
    result = []
    for controller in chosen:
        contact = controller.contact
        result.append(
            {
                "piiController": controller.name,
                "onBehalf": False,
                "contact": org.dpo.name or controller.name,
                "address": (contact.address if contact and contact.address else org.contact.address) or "",
                "email": (contact.email if contact and contact.email else org.contact.email) or org.dpo.email,
                "phone": (contact.phone if contact and contact.phone else org.contact.phone) or "",
                "piiControllerUrl": org.contact.url or "",
            }
        )
    return result


def build_receipt(
    policy: Policy,
    event: ConsentEventRead,
    *,
    principal_id: str,
    policy_url: str,
    privacy_centre_url: str,
) -> dict[str, Any]:
    """The receipt for one event (see the module docstring for where each field comes from)."""
    purpose = policy.purpose(event.purpose)
    lang = event.language
    disclosed = [r for r in policy.recipients if r.id in purpose.recipients and r.role in _DISCLOSING_ROLES]
    special = [c for c in purpose.data_categories if c.startswith(ART9_CATEGORY_PREFIXES)]
    termination = _TERMINATION["consent" if purpose.legal_basis == "consent" else "other"]
    return {
        "version": VERSION,
        "jurisdiction": policy.organisation.country,
        "consentTimestamp": int(event.occurred_at.timestamp()),
        "collectionMethod": COLLECTION_METHODS.get(event.source, event.source),
        "consentReceiptID": event.id,
        "language": lang,
        "piiPrincipalId": principal_id,
        "piiControllers": _controllers(policy, purpose),
        "policyUrl": policy_url,
        "services": [
            {
                "service": policy.organisation.name,
                "purposes": [
                    {
                        "purpose": f"{_text(purpose.name, lang)}: {_text(purpose.description, lang)}",
                        "purposeCategory": [c for c in (purpose.fides_data_use, purpose.legal_basis) if c],
                        "consentType": "EXPLICIT",
                        "piiCategory": list(purpose.data_categories),
                        "primaryPurpose": True,
                        "termination": _text(termination, lang).format(url=privacy_centre_url),
                        "thirdPartyDisclosure": bool(disclosed),
                        "thirdPartyName": ", ".join(r.name for r in disclosed),
                    }
                ],
            }
        ],
        "sensitive": bool(special),
        "spiCat": special,
        "tillit:event": {
            "purposeId": purpose.id,
            "legalBasis": purpose.legal_basis,
            "action": event.action,
            "channel": event.channel,
            "scope": event.scope,
            "source": event.source,
            "policyVersion": event.policy_version,
            "noticeTextSha256": event.notice_text_sha256,
            "occurredAt": event.occurred_at.isoformat(),
        },
    }
