"""Requests that change something other than deleting: rectification, restriction, objection, withdrawal.

Rectification changes the value everywhere tillit knows it: the subject's identifiers and display name
(through `subjects.service`, encrypted as at creation) and every dataset column holding that kind of
data (identity columns of the kind, and fields whose data category is the kind's category), through the
audited connector. Datasets are
changed first, while the old identities still find the rows. Processors with a callback URL whose
purposes receive the changed category are told through the notifier.

An objection to a legitimate-interest purpose is recorded as an `object` event in the consent ledger:
the ledger ends that purpose's holds (reason "objection") and `excluded_purposes` stops new ones. For
direct marketing it is absolute (Art. 21(3)); for other purposes the DPO decides before executing and
rejects the request instead when there are compelling legitimate grounds. Objecting to direct marketing
that rests on consent withdraws the consent.
"""

from __future__ import annotations

from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.datasets import service as datasets_service
from tillit.policy.schema import Policy, Purpose
from tillit.rights.context import Context
from tillit.rights.schemas import ProcessorNotifier, TableLine
from tillit.subjects import service as subjects_service

KIND_CATEGORY = {
    "email": "user.contact.email",
    "phone": "user.contact.phone_number",
    "name": "user.name",
    "address": "user.contact.address",
    "national_id": "user.government_id",
    "customer_number": "user.unique_id",
}
IDENTIFIER_KINDS = ("email", "phone", "customer_number", "national_id")


def objectable(purpose: Purpose) -> bool:
    return purpose.direct_marketing or (purpose.legal_basis == "legitimate_interests" and purpose.objection)


def _covers(category: str, wanted: str) -> bool:
    return category == wanted or category.startswith(wanted + ".") or wanted.startswith(category + ".")


def rectify(ctx: Context, notifier: ProcessorNotifier | None) -> list[TableLine]:
    kind = str(ctx.details["kind"])
    value = str(ctx.details["value"]).strip()
    category = KIND_CATEGORY.get(kind, "")
    lines: list[TableLine] = []
    changes: list[dict[str, str]] = []
    if kind in IDENTIFIER_KINDS:
        value = subjects_service.normalise_identifier(kind, value, default_region=ctx.region)
    for dataset in ctx.policy.datasets:
        columns = [i.column for i in dataset.identity if i.kind == kind]
        columns += [name for name, cat in dataset.fields.items() if category and _covers(cat, category)]
        columns = [c for c in dict.fromkeys(columns) if c in datasets_service.personal_columns(dataset)]
        if not columns:
            continue
        changed = datasets_service.update_rows(
            ctx.session,
            dataset,
            ctx.identities,
            dict.fromkeys(columns, value),
            actor=ctx.actor,
            reason="rectification",
            clock=ctx.clock,
            default_region=ctx.region,
            subject_id=ctx.subject_id,
        )
        lines.append(
            TableLine(
                source="dataset",
                record_type=dataset.id,
                table=dataset.table,
                found=changed,
                changed=changed,
                purposes=list(dataset.purposes),
            )
        )
        changes.extend(
            {"field": c, "value": value, "category": dataset.fields.get(c, category)} for c in columns
        )
    if kind in IDENTIFIER_KINDS:
        old = ctx.details.get("old")
        olds = [str(old)] if old else list(ctx.identities.get(kind, []))
        removed = 0
        for previous in olds:
            if previous != value:
                removed += subjects_service.remove_identifier(
                    ctx.session, ctx.subject_id, kind, previous, default_region=ctx.region, secret=ctx.secret
                )
        subjects_service.add_identifier(
            ctx.session,
            ctx.subject_id,
            kind,
            value,
            clock=ctx.clock,
            default_region=ctx.region,
            secret=ctx.secret,
        )
        lines.append(
            TableLine(
                source="tillit",
                record_type="subject",
                table="subject_identifier",
                found=1,
                changed=1,
                note=f"replaced {removed} {kind} identifier(s)",
            )
        )
        changes.append({"field": kind, "value": value, "category": category})
    if kind == "name":
        subjects_service.set_display_name(ctx.session, ctx.subject_id, value, secret=ctx.secret)
        lines.append(
            TableLine(
                source="tillit",
                record_type="subject",
                table="subject_subject",
                found=1,
                changed=1,
                note="display name replaced",
            )
        )
        changes.append({"field": "display_name", "value": value, "category": category})
    if notifier is not None:
        payload = {"request_id": ctx.request.id, "subject_id": ctx.subject_id, "changes": changes}
        for recipient_id in processors_for(ctx.policy, category):
            notifier.notify(recipient_id, "rectification", payload)
            ctx.notified.append(recipient_id)
    return lines


def processors_for(policy: Policy, category: str | None = None) -> list[str]:
    """Recipients with a callback URL that receive `category` (None: any category) through a purpose."""
    found = []
    for recipient in policy.recipients:
        if not recipient.callback_url:
            continue
        for purpose in policy.purposes:
            if recipient.id in purpose.recipients and (
                category is None or any(_covers(c, category) for c in purpose.data_categories)
            ):
                found.append(recipient.id)
                break
    return found


def restrict(ctx: Context) -> list[TableLine]:
    lift = bool(ctx.details.get("lift", False))
    subjects_service.set_restricted(ctx.session, ctx.subject_id, not lift)
    return [
        TableLine(
            source="tillit",
            record_type="subject",
            table="subject_subject",
            found=1,
            changed=1,
            note="restriction lifted" if lift else "restricted: every purpose but storage refuses",
        )
    ]


def consent_action(ctx: Context, action: str) -> list[TableLine]:
    """Record an objection or a withdrawal per purpose in the consent ledger (which ends the holds)."""
    lines = []
    for purpose_id in ctx.details.get("purposes", []):
        purpose = ctx.policy.purpose(str(purpose_id))
        act = "withdraw" if purpose.legal_basis == "consent" else "object"
        if action == "withdraw":
            act = "withdraw"
        result = consent_service.record_event(
            ctx.session,
            ctx.policy,
            ConsentEventCreate(
                subject_id=ctx.subject_id,
                purpose=purpose.id,
                action=act,
                source="privacy_centre" if ctx.request.channel == "privacy_centre" else "api",
                actor_type="staff"
                if ctx.actor.type == "staff"
                else "customer"
                if ctx.actor.type == "customer"
                else "system",
                actor_id=ctx.actor.id[:64],
                language=ctx.lang,
            ),
            clock=ctx.clock,
        )
        lines.append(
            TableLine(
                source="tillit",
                record_type="consent_record",
                table="consent_event",
                found=1,
                changed=result.ended_holds,
                purposes=[purpose.id],
                note=f"{act}: {result.ended_holds} hold(s) ended",
            )
        )
    return lines
