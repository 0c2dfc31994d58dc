"""Subject use cases: create subjects, find them by any identity, read their identities.

Every function takes `session` and joins the caller's transaction (never commits): creating a subject is
always part of something larger (a login, a handoff form, a rights request, the demo loader) whose audit
row and holds must land in the same transaction. Auditing is the caller's job, because only the caller
knows the actor and the purpose.

Identifier values are stored twice, never in clear: AES-GCM encrypted (`value_enc`, to read them back)
and as an HMAC of the normalised value (`value_hash`, to find them). Both keys derive from
`settings.secret_key`, which callers pass as `secret` (it is injected, not read from a global). Phone
numbers and national IDs are normalised in `default_region`, the organisation's country
(`policy.organisation.country`).

Errors: an invalid identifier raises ValidationFailedError naming the kind (never echoing the value); an
identity that already belongs to a subject raises ConflictError; an unknown subject NotFoundError.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tillit.core.clock import Clock
from tillit.core.crypto import FieldCipher, keyed_hash
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.identifiers import SUBJECT_IDENTIFIER_KINDS, normalise
from tillit.core.ids import new_id
from tillit.subjects import repository
from tillit.subjects.models import Identifier, Subject
from tillit.subjects.rules import mask_identifier
from tillit.subjects.schemas import IdentifierRead, SubjectCreate, SubjectRead

_DISPLAY_NAME_CONTEXT = "subject_subject/display_name/{subject_id}"
_IDENTIFIER_CONTEXT = "subject_identifier/{kind}/{subject_id}"


def normalise_identifier(kind: str, value: str, *, default_region: str | None = None) -> str:
    """The canonical form tillit stores and matches (see `tillit.core.identifiers` for the rules)."""
    _check_kind(kind)
    return normalise(kind, value, default_region=default_region)


def identifier_hash(secret: str, kind: str, value: str, *, default_region: str | None = None) -> str:
    """The lookup hash of an identifier, as stored in `subject_identifier.value_hash`."""
    return keyed_hash(secret, kind, normalise_identifier(kind, value, default_region=default_region))


def create_subject(
    session: Session,
    *,
    kind: str = "customer",
    language: str | None = None,
    display_name: str | None = None,
    identifiers: Mapping[str, str] | None = None,
    clock: Clock,
    default_region: str | None,
    secret: str,
) -> SubjectRead:
    """Create a subject with its identifiers, all validated before anything is written."""
    try:
        data = SubjectCreate(
            kind=kind, language=language, display_name=display_name, identifiers=dict(identifiers or {})
        )
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ValidationFailedError(f"{field}: {first['msg']}", details={"field": field}) from None
    canonical = {
        k: normalise_identifier(k, v, default_region=default_region) for k, v in data.identifiers.items()
    }
    hashes = {k: keyed_hash(secret, k, v) for k, v in canonical.items()}
    for existing in repository.identifiers_by_hashes(session, hashes.items()):
        raise ConflictError(
            f"a subject with this {existing.kind} already exists", details={"kind": existing.kind}
        )

    cipher = FieldCipher(secret)
    now = clock.now()
    subject_id = new_id()
    subject = Subject(
        id=subject_id,
        kind=data.kind,
        language=data.language,
        display_name_enc=(
            cipher.encrypt(data.display_name, context=_DISPLAY_NAME_CONTEXT.format(subject_id=subject_id))
            if data.display_name
            else None
        ),
        restricted=False,
        created_at=now,
        last_seen_at=None,
    )
    subject.identifiers = [
        _new_identifier(cipher, subject_id, k, v, hashes[k], now) for k, v in canonical.items()
    ]
    repository.add(session, subject)
    return _read(subject, cipher)


def get_subject(session: Session, subject_id: str, *, secret: str) -> SubjectRead:
    """The subject as people may see it (national ID masked), or NotFoundError."""
    return _read(_require(session, subject_id), FieldCipher(secret))


def find_by_identifier(
    session: Session, kind: str, value: str, *, secret: str, default_region: str | None = None
) -> SubjectRead | None:
    """The subject holding this identity in any spelling, or None. An invalid value raises
    ValidationFailedError rather than answering "not found" for something that cannot exist."""
    found = repository.identifier_by_hash(
        session, kind, identifier_hash(secret, kind, value, default_region=default_region)
    )
    return _read(found.subject, FieldCipher(secret)) if found is not None else None


def find_by_any(
    session: Session, identifiers: Mapping[str, str], *, secret: str, default_region: str | None = None
) -> SubjectRead | None:
    """The one subject holding any of these identities, or None.

    Raises ConflictError when the identities belong to different subjects: a rights request or a login
    that names one person's e-mail and another's national ID must not be resolved by guessing.
    """
    pairs = [
        (kind, identifier_hash(secret, kind, value, default_region=default_region))
        for kind, value in identifiers.items()
    ]
    matches = repository.identifiers_by_hashes(session, pairs)
    subject_ids = {m.subject_id for m in matches}
    if not subject_ids:
        return None
    if len(subject_ids) > 1:
        raise ConflictError(
            "the identifiers given belong to different subjects",
            details={"kinds": sorted({m.kind for m in matches})},
        )
    return _read(matches[0].subject, FieldCipher(secret))


def identities_of(session: Session, subject_id: str, *, secret: str) -> dict[str, list[str]]:
    """Every identity of the subject in clear, normalised, per kind (for matching the company's own
    tables by the datasets connector and for a rights request's export). Callers audit this read."""
    subject = _require(session, subject_id)
    cipher = FieldCipher(secret)
    result: dict[str, list[str]] = {}
    for ident in sorted(subject.identifiers, key=lambda i: (i.kind, i.created_at, i.id)):
        result.setdefault(ident.kind, []).append(_decrypt_identifier(cipher, ident))
    return result


def add_identifier(
    session: Session,
    subject_id: str,
    kind: str,
    value: str,
    *,
    clock: Clock,
    default_region: str | None,
    secret: str,
) -> SubjectRead:
    """Give the subject another identity (a second e-mail, a verified national ID).

    Idempotent for an identity the subject already has; ConflictError if another subject has it.
    """
    subject = _require(session, subject_id)
    canonical = normalise_identifier(kind, value, default_region=default_region)
    value_hash = keyed_hash(secret, kind, canonical)
    cipher = FieldCipher(secret)
    existing = repository.identifier_by_hash(session, kind, value_hash)
    if existing is not None:
        if existing.subject_id == subject_id:
            return _read(subject, cipher)
        raise ConflictError(f"another subject already has this {kind}", details={"kind": kind})
    subject.identifiers.append(_new_identifier(cipher, subject_id, kind, canonical, value_hash, clock.now()))
    session.flush()
    return _read(subject, cipher)


def remove_identifier(
    session: Session, subject_id: str, kind: str, value: str, *, default_region: str | None, secret: str
) -> bool:
    """Remove one identity of the subject (rectification); False if the subject did not have it."""
    subject = _require(session, subject_id)
    value_hash = identifier_hash(secret, kind, value, default_region=default_region)
    for ident in subject.identifiers:
        if ident.kind == kind and ident.value_hash == value_hash:
            subject.identifiers.remove(ident)
            session.flush()
            return True
    return False


def set_restricted(session: Session, subject_id: str, restricted: bool) -> None:
    """Mark processing as restricted (GDPR Art. 18) or lift the restriction."""
    _require(session, subject_id).restricted = restricted
    session.flush()


def is_restricted(session: Session, subject_id: str) -> bool:
    """Whether processing of the subject is restricted (Art. 18): every purpose except storage must
    refuse them (the chatbot, the advisor console, marketing). False for an unknown subject."""
    subject = repository.get(session, subject_id)
    return subject is not None and subject.restricted


def set_display_name(session: Session, subject_id: str, display_name: str | None, *, secret: str) -> None:
    """Replace the subject's name (a rectification, Art. 16), encrypted as `create_subject` stores it;
    None or blank removes it. ValidationFailedError for a name `SubjectCreate` would refuse."""
    subject = _require(session, subject_id)
    name = (display_name or "").strip() or None
    if name is not None:
        try:
            SubjectCreate(kind=subject.kind, display_name=name)
        except PydanticValidationError as exc:
            raise ValidationFailedError(
                f"display_name: {exc.errors()[0]['msg']}", details={"field": "display_name"}
            ) from None
    subject.display_name_enc = (
        FieldCipher(secret).encrypt(name, context=_DISPLAY_NAME_CONTEXT.format(subject_id=subject.id))
        if name is not None
        else None
    )
    session.flush()


def mark_seen(session: Session, subject_id: str, *, clock: Clock) -> None:
    """Record that the subject was active now (`last_seen_at` anchors some retention rules)."""
    _require(session, subject_id).last_seen_at = clock.now()
    session.flush()


def delete_subject(session: Session, subject_id: str) -> None:
    """Delete the subject and all its identifiers (erasure); NotFoundError if it does not exist."""
    repository.delete(session, _require(session, subject_id))


def _check_kind(kind: str) -> None:
    if kind not in SUBJECT_IDENTIFIER_KINDS:
        raise ValidationFailedError(
            f"unknown identifier kind '{kind}' (expected one of {', '.join(SUBJECT_IDENTIFIER_KINDS)})",
            details={"kind": kind},
        )


def _require(session: Session, subject_id: str) -> Subject:
    subject = repository.get(session, subject_id)
    if subject is None:
        raise NotFoundError(f"no subject '{subject_id}'")
    return subject


def _new_identifier(
    cipher: FieldCipher, subject_id: str, kind: str, canonical: str, value_hash: str, now: datetime
) -> Identifier:
    return Identifier(
        id=new_id(),
        subject_id=subject_id,
        kind=kind,
        value_enc=cipher.encrypt(
            canonical, context=_IDENTIFIER_CONTEXT.format(kind=kind, subject_id=subject_id)
        ),
        value_hash=value_hash,
        created_at=now,
    )


def _decrypt_identifier(cipher: FieldCipher, ident: Identifier) -> str:
    return cipher.decrypt(
        ident.value_enc, context=_IDENTIFIER_CONTEXT.format(kind=ident.kind, subject_id=ident.subject_id)
    )


def _read(subject: Subject, cipher: FieldCipher) -> SubjectRead:
    identifiers = [
        IdentifierRead(
            kind=ident.kind,
            value=mask_identifier(ident.kind, _decrypt_identifier(cipher, ident)),
            masked=ident.kind == "national_id",
        )
        for ident in sorted(subject.identifiers, key=lambda i: (i.kind, i.created_at, i.id))
    ]
    display_name = (
        cipher.decrypt(subject.display_name_enc, context=_DISPLAY_NAME_CONTEXT.format(subject_id=subject.id))
        if subject.display_name_enc is not None
        else None
    )
    return SubjectRead(
        id=subject.id,
        kind=subject.kind,
        language=subject.language,
        display_name=display_name,
        restricted=subject.restricted,
        created_at=subject.created_at,
        last_seen_at=subject.last_seen_at,
        identifiers=identifiers,
    )


def kind_of(session: Session, subject_id: str) -> str | None:
    """The subject's kind (a policy data-subject key such as `customer`), without decrypting anything;
    retention rules read it as the fact `subject_kind`."""
    subject = repository.get(session, subject_id)
    return subject.kind if subject is not None else None


def restricted_subject_ids() -> Select[str]:
    """A SELECT of the ids of subjects whose processing is restricted (Art. 18), for use inside other
    domains' queries: consent decisions and marketing audiences exclude them in SQL, in one statement."""
    return select(Subject.id.label("subject_id")).where(Subject.restricted.is_(True))


def subject_ids_where(
    *, kinds: Collection[str] | None = None, languages: Collection[str] | None = None
) -> Select[str]:
    """A SELECT of subject ids by kind and language (None: any), for other domains' queries: a marketing
    segment is built on it and decided in SQL, in one statement."""
    stmt = select(Subject.id.label("subject_id"))
    if kinds:
        stmt = stmt.where(Subject.kind.in_(sorted(kinds)))
    if languages:
        stmt = stmt.where(Subject.language.in_(sorted(languages)))
    return stmt


def subject_ids_with_identifier(kind: str) -> Select[str]:
    """A SELECT of the ids of subjects holding at least one identity of `kind` (e.g. an e-mail address
    for an e-mail campaign), without decrypting anything: marketing excludes those it cannot reach."""
    _check_kind(kind)
    return select(Identifier.subject_id.label("subject_id")).where(Identifier.kind == kind).distinct()
