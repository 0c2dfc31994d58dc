"""Conversation use cases. Every function joins the caller's transaction (takes `session`, never commits),
so "store a message + give it its holds + audit" is always one transaction.

Holds: the conversation (with its messages) is one record; the IP address, the handoff contact and the
feedback are records of their own. After every change of a fact all of them are recomputed together, so
"an advisor joined" moves the bank's customer-service hold to 5 years in the same commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.consent import service as consent_service
from tillit.conversations import repository, rules
from tillit.conversations.models import Conversation, ConversationIp, Feedback, HandoffContact, Message
from tillit.conversations.schemas import (
    ConversationExport,
    ConversationRead,
    FeedbackCreate,
    HandoffContactCreate,
    MessageRead,
    QueueEntry,
    StartedConversation,
)
from tillit.core.clock import Clock
from tillit.core.crypto import FieldCipher
from tillit.core.errors import (
    ConflictError,
    NotAuthenticatedError,
    NotFoundError,
    PayloadTooLargeError,
    PurposeNotAllowedError,
    ValidationFailedError,
)
from tillit.core.ids import new_id, new_token
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.retention.schemas import EndResult, HoldRead, KeptHold
from tillit.subjects import service as subjects_service

CONVERSATION = "conversation"
CONVERSATION_IP = "conversation_ip"
HANDOFF_CONTACT = "handoff_contact"
FEEDBACK = "feedback"
RECORD_KINDS = (CONVERSATION, CONVERSATION_IP, HANDOFF_CONTACT, FEEDBACK)
"""The conversation and the records hanging off it, each with holds of its own."""
LAST_MESSAGE_FACT = "last_message_at"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    session: Session,
    policy: Policy,
    *,
    channel: str = "chat",
    language: str,
    clock: Clock,
    secret: str,
    subject_id: str | None = None,
    ip_address: str | None = None,
    excluded_purposes: Collection[str] = (),
) -> StartedConversation:
    """Open a conversation. Anonymous ones store only text and the IP address (held on its own)."""
    if channel not in rules.CHANNELS:
        raise ValidationFailedError(f"unknown channel '{channel}'; known: {', '.join(rules.CHANNELS)}")
    if language not in policy.languages:
        raise ValidationFailedError(f"language '{language}' is not offered; choose one of {policy.languages}")
    now = clock.now()
    token = new_token()
    conversation = Conversation(
        id=new_id(),
        access_token_hash=_token_hash(token),
        subject_id=subject_id,
        channel=channel,
        language=language,
        status="bot" if channel == "chat" else "with_advisor",
        authenticated=subject_id is not None,
        had_advisor=channel != "chat",  # a call, letter or e-mail is logged by an advisor
        complaint=False,
        advisory=False,
        deleted_by_customer=False,
        failed_turns=0,
        next_seq=1,
        created_at=now,
        last_message_at=now,
    )
    session.add(conversation)
    if ip_address and policy.purposes_holding(CONVERSATION_IP):
        session.add(
            ConversationIp(
                conversation_id=conversation.id,
                ip_enc=FieldCipher(secret).encrypt(ip_address, context=f"ip:{conversation.id}"),
                created_at=now,
            )
        )
    session.flush()
    refresh_holds(session, policy, conversation, clock, excluded_purposes=excluded_purposes)
    if not retention_service.is_record_alive(
        session, record_type=CONVERSATION, record_id=conversation.id, clock=clock
    ):
        # Store nothing that no purpose of the policy holds (the caller's transaction rolls back).
        if subject_id is None:
            raise NotAuthenticatedError("please log in to chat with us")
        raise PurposeNotAllowedError(
            "the privacy policy has no purpose that allows keeping this conversation"
        )
    return StartedConversation(conversation=ConversationRead.model_validate(conversation), access_token=token)


def get(session: Session, conversation_id: str) -> ConversationRead:
    return ConversationRead.model_validate(_require(session, conversation_id))


def get_for_customer(
    session: Session,
    conversation_id: str,
    *,
    access_token: str | None = None,
    subject_id: str | None = None,
    for_update: bool = False,
) -> ConversationRead:
    """The conversation if the caller holds its token or is its logged-in owner; 404 otherwise
    (never 403, so that guessing ids reveals nothing). `for_update`: lock its row with this read (a
    caller about to write it saves the second read that locking later would cost)."""
    conversation = repository.get(session, conversation_id, for_update=for_update)
    allowed = conversation is not None and (
        (access_token is not None and conversation.access_token_hash == _token_hash(access_token))
        or (subject_id is not None and conversation.subject_id == subject_id)
    )
    if conversation is None or not allowed or conversation.deleted_by_customer:
        raise NotFoundError("no such conversation")
    return ConversationRead.model_validate(conversation)


def add_message(
    session: Session,
    policy: Policy,
    conversation_id: str,
    *,
    author: rules.Author,
    text: str,
    clock: Clock,
    author_id: str | None = None,
    topic: str | None = None,
    confidence: float | None = None,
    generated: bool = False,
    refresh: bool = True,
) -> MessageRead:
    """Store a message; recompute holds when the policy makes them depend on `last_message_at`, the one
    fact a message moves (no shipped pack does: their periods run from the start or the end of the
    conversation, so a message leaves the holds as they are and costs no holds work).

    `refresh=False` leaves the recompute to a later write in the same transaction (a chat turn stores the
    customer's message and the bot's reply together; recomputing after both gives the same holds at
    commit and halves the turn's holds work). Only for a caller that does such a write."""
    if len(text) > rules.MAX_MESSAGE_CHARS:
        raise PayloadTooLargeError(f"a message may have at most {rules.MAX_MESSAGE_CHARS} characters")
    if not text.strip():
        raise ValidationFailedError("a message cannot be empty")
    conversation = _require(session, conversation_id, for_update=True)
    if conversation.status == "closed" and author != "system":
        raise ConflictError("the conversation is closed")
    now = clock.now()
    message = Message(
        id=new_id(),
        conversation_id=conversation.id,
        seq=conversation.next_seq,
        author=author,
        author_id=author_id,
        text=text,
        topic=topic,
        confidence=confidence,
        generated=generated,
        created_at=now,
    )
    conversation.next_seq += 1
    conversation.last_message_at = now
    session.add(message)  # flushed by the next query or at commit, with the turn's other rows
    if refresh and retention_service.holds_depend_on(policy, RECORD_KINDS, LAST_MESSAGE_FACT):
        refresh_holds(session, policy, conversation, clock)
    return MessageRead.model_validate(message)


def messages(session: Session, conversation_id: str, *, after_seq: int = 0) -> list[MessageRead]:
    return [MessageRead.model_validate(m) for m in repository.messages(session, conversation_id, after_seq)]


def latest_seq(session: Session, conversation_id: str) -> int:
    return repository.latest_seq(session, conversation_id)


def record_failed_turn(session: Session, conversation_id: str) -> int:
    """Count a turn the bot could not answer; the chatbot offers a human after a few."""
    conversation = _require(session, conversation_id)
    conversation.failed_turns += 1
    return conversation.failed_turns


def failed_turns(session: Session, conversation_id: str) -> int:
    """How many turns in a row the bot did not understand (it offers a human after a few)."""
    return _require(session, conversation_id).failed_turns


def reset_failed_turns(session: Session, conversation_id: str) -> None:
    """An understood turn ends the run of failures ("in a row")."""
    _require(session, conversation_id).failed_turns = 0


def request_handoff(session: Session, policy: Policy, conversation_id: str, *, clock: Clock) -> QueueEntry:
    """Put the conversation in the advisors' queue (idempotent while queued)."""
    conversation = _require(session, conversation_id, for_update=True)
    if conversation.status != "queued":
        _move(conversation, "queued")
        conversation.queued_at = clock.now()
    session.flush()
    return queue_entry(session, conversation_id)


def give_handoff_contact(
    session: Session,
    policy: Policy,
    conversation_id: str,
    contact: HandoffContactCreate,
    *,
    clock: Clock,
    secret: str,
) -> None:
    """Store name, e-mail and phone given in the queue, encrypted and held by their own purposes."""
    if not policy.purposes_holding(HANDOFF_CONTACT):
        raise ValidationFailedError("this organisation does not ask for contact details in the queue")
    conversation = _require(session, conversation_id)
    cipher = FieldCipher(secret)
    row = repository.handoff_contact(session, conversation_id) or HandoffContact(
        conversation_id=conversation_id, created_at=clock.now()
    )
    row.name_enc = cipher.encrypt(contact.name, context=f"handoff-name:{conversation_id}")
    row.email_enc = cipher.encrypt(str(contact.email), context=f"handoff-email:{conversation_id}")
    row.phone_enc = cipher.encrypt(contact.phone, context=f"handoff-phone:{conversation_id}")
    session.add(row)
    session.flush()
    refresh_holds(session, policy, conversation, clock)


def handoff_contact(session: Session, conversation_id: str, *, secret: str) -> HandoffContactCreate | None:
    row = repository.handoff_contact(session, conversation_id)
    if row is None:
        return None
    cipher = FieldCipher(secret)
    return HandoffContactCreate(
        name=cipher.decrypt(row.name_enc, context=f"handoff-name:{conversation_id}"),
        email=cipher.decrypt(row.email_enc, context=f"handoff-email:{conversation_id}"),
        phone=cipher.decrypt(row.phone_enc, context=f"handoff-phone:{conversation_id}"),
    )


def queue(session: Session, *, advisors_online: int = 1) -> list[QueueEntry]:
    """The queue in order, each with its position and a wait estimate."""
    entries: list[QueueEntry] = []
    for position, conversation in enumerate(repository.queued(session), start=1):
        entries.append(_entry(conversation, position, advisors_online))
    return entries


def queue_entry(session: Session, conversation_id: str, *, advisors_online: int = 1) -> QueueEntry:
    conversation = _require(session, conversation_id)
    if conversation.status != "queued" or conversation.queued_at is None:
        raise ConflictError("the conversation is not waiting for an advisor")
    position = repository.queue_position(session, conversation.queued_at, conversation.id)
    return _entry(conversation, position, advisors_online)


def take(
    session: Session, policy: Policy, conversation_id: str, *, advisor_id: str, clock: Clock
) -> ConversationRead:
    """An advisor takes a queued conversation: `had_advisor` becomes true and the holds follow."""
    conversation = _require(session, conversation_id, for_update=True)
    if conversation.status == "with_advisor" and conversation.advisor_id == advisor_id:
        return ConversationRead.model_validate(conversation)
    if conversation.status != "queued":
        raise ConflictError("only a queued conversation can be taken")
    _move(conversation, "with_advisor")
    conversation.advisor_id = advisor_id
    conversation.had_advisor = True
    conversation.taken_at = clock.now()
    session.flush()
    refresh_holds(session, policy, conversation, clock)
    return ConversationRead.model_validate(conversation)


def set_tags(
    session: Session,
    policy: Policy,
    conversation_id: str,
    *,
    clock: Clock,
    complaint: bool | None = None,
    advisory: bool | None = None,
) -> ConversationRead:
    """Tag a complaint or advisory conversation; retention follows (parcel: complaints 3.5 years)."""
    conversation = _require(session, conversation_id, for_update=True)
    if complaint is not None:
        conversation.complaint = complaint
    if advisory is not None:
        conversation.advisory = advisory
    session.flush()
    refresh_holds(session, policy, conversation, clock)
    return ConversationRead.model_validate(conversation)


def close(session: Session, policy: Policy, conversation_id: str, *, clock: Clock) -> ConversationRead:
    """Close the conversation; `closed_at` anchors most retention periods."""
    conversation = _require(session, conversation_id, for_update=True)
    if conversation.status != "closed":
        _move(conversation, "closed")
        conversation.closed_at = clock.now()
        session.flush()
        refresh_holds(session, policy, conversation, clock)
    return ConversationRead.model_validate(conversation)


def give_feedback(
    session: Session, policy: Policy, conversation_id: str, feedback: FeedbackCreate, *, clock: Clock
) -> None:
    conversation = _require(session, conversation_id)
    if conversation.status != "closed":
        raise ConflictError("feedback is asked for after the conversation has ended")
    if repository.feedback(session, conversation_id) is not None:
        raise ConflictError("feedback was already given for this conversation")
    session.add(
        Feedback(
            conversation_id=conversation_id,
            rating=feedback.rating,
            comment=feedback.comment,
            created_at=clock.now(),
        )
    )
    session.flush()
    refresh_holds(session, policy, conversation, clock)


def delete_by_customer(session: Session, policy: Policy, conversation_id: str, *, clock: Clock) -> EndResult:
    """The customer's own deletion: ends every hold a legal obligation does not keep; deletes the
    conversation at once when nothing keeps it, and reports what remains and why otherwise."""
    conversation = _require(session, conversation_id, for_update=True)
    conversation.deleted_by_customer = True
    if conversation.status != "closed":
        conversation.status = "closed"
        conversation.closed_at = clock.now()
    ended: list[HoldRead] = []
    kept: list[KeptHold] = []
    remaining: list[HoldRead] = []
    for record_type in _record_types(session, conversation):
        part = retention_service.end_holds(
            session,
            policy,
            record_type=record_type,
            record_id=conversation.id,
            reason="customer_deleted",
            clock=clock,
        )
        ended.extend(part.ended)
        kept.extend(part.kept)
        remaining.extend(part.remaining)
    if not any(h.record_type == CONVERSATION for h in remaining):
        erase(session, conversation.id)
    return EndResult(ended=ended, kept=kept, remaining=remaining)


def erase(session: Session, conversation_id: str) -> None:
    """Delete the conversation with its messages, IP address, contact details and feedback (one record)."""
    repository.delete_conversation(session, conversation_id)
    for record_type in (CONVERSATION, CONVERSATION_IP, HANDOFF_CONTACT, FEEDBACK):
        retention_service.forget_record(session, record_type=record_type, record_id=conversation_id)


def audit_staff_read(
    session: Session, conversation: ConversationRead, *, staff_id: str, purpose: str, clock: Clock
) -> None:
    """Every staff read of a conversation leaves an audit row (who, which purpose, which record)."""
    audit_service.record(
        session,
        actor_type="staff",
        actor_id=staff_id,
        action="conversation.read",
        purpose=purpose,
        subject_id=conversation.subject_id,
        record_type=CONVERSATION,
        record_id=conversation.id,
        clock=clock,
    )


def staff_conversations(
    session: Session,
    policy: Policy,
    *,
    purposes: Sequence[str],
    clock: Clock,
    advisor_id: str | None = None,
    statuses: Collection[str] = ("with_advisor",),
    limit: int = 50,
) -> list[ConversationRead]:
    """Conversations for the advisor console's lists, newest activity first: only those that one of
    `purposes` holds now (filtered in SQL through the holds), of one advisor (`advisor_id`) or of all
    advisors (None, for supervisors). Lists show no content, so they are not audited; opening one is."""
    readable = [
        retention_service.readable_record_ids(policy, purpose, record_type=CONVERSATION, clock=clock)
        for purpose in purposes
    ]
    rows = repository.for_staff(session, readable, advisor_id=advisor_id, statuses=statuses, limit=limit)
    return [ConversationRead.model_validate(c) for c in rows]


def log_contact(
    session: Session,
    policy: Policy,
    *,
    channel: str,
    subject_id: str,
    language: str,
    summary: str,
    advisor_id: str,
    clock: Clock,
    secret: str,
    complaint: bool = False,
    advisory: bool = False,
) -> ConversationRead:
    """An advisor logs a phone call, letter, e-mail or social-media enquiry after it happened.

    It becomes a conversation on that channel, linked to the subject, with the advisor's summary as its
    one message, already closed (the call is over), so its holds are those of an advisor conversation
    from the start. A chat is never logged by hand: it happens in the chat.
    """
    if channel == "chat":
        raise ValidationFailedError("a chat is recorded by the chat itself; log a phone call or a letter")
    started = start(
        session, policy, channel=channel, language=language, clock=clock, secret=secret, subject_id=subject_id
    )
    conversation = _require(session, started.conversation.id, for_update=True)
    conversation.advisor_id = advisor_id
    conversation.taken_at = clock.now()
    conversation.complaint = complaint
    conversation.advisory = advisory
    add_message(
        session, policy, conversation.id, author="advisor", author_id=advisor_id, text=summary, clock=clock
    )
    return close(session, policy, conversation.id, clock=clock)


def feedback_of(session: Session, conversation_id: str) -> FeedbackCreate | None:
    """The customer's answer to the voluntary feedback question, if one was given."""
    row = repository.feedback(session, conversation_id)
    return FeedbackCreate(rating=row.rating, comment=row.comment) if row is not None else None


def refresh_holds(
    session: Session,
    policy: Policy,
    conversation: Conversation,
    clock: Clock,
    *,
    excluded_purposes: Collection[str] = (),
) -> None:
    """Recompute the holds of the conversation and of each record hanging off it from current facts.

    A logged-in customer's objections and withdrawn consents (`consent.service.excluded_purposes`) are
    excluded on every recompute, not only at start: a purpose the customer objected to must get no hold
    on a conversation started after the objection, however its facts change later."""
    if conversation.subject_id is not None:
        objected = consent_service.excluded_purposes(session, policy, conversation.subject_id)
        excluded_purposes = objected.union(excluded_purposes)
    facts = rules.retention_facts(
        channel=conversation.channel,
        authenticated=conversation.authenticated,
        had_advisor=conversation.had_advisor,
        complaint=conversation.complaint,
        advisory=conversation.advisory,
        deleted_by_customer=conversation.deleted_by_customer,
        created_at=conversation.created_at,
        closed_at=conversation.closed_at,
        last_message_at=conversation.last_message_at,
        subject_kind=subjects_service.kind_of(session, conversation.subject_id)
        if conversation.subject_id
        else None,
    )
    for record_type in _record_types(session, conversation):
        retention_service.recompute_holds(
            session,
            policy,
            record_type=record_type,
            record_id=conversation.id,
            facts=facts,
            clock=clock,
            subject_id=conversation.subject_id,
            excluded_purposes=excluded_purposes,
        )


def _record_types(session: Session, conversation: Conversation) -> list[str]:
    has_ip, has_contact, has_feedback = repository.parts_present(session, conversation.id)
    kinds = [CONVERSATION]
    if has_ip:
        kinds.append(CONVERSATION_IP)
    if has_contact:
        kinds.append(HANDOFF_CONTACT)
    if has_feedback:
        kinds.append(FEEDBACK)
    return kinds


def _entry(conversation: Conversation, position: int, advisors_online: int) -> QueueEntry:
    assert conversation.queued_at is not None
    return QueueEntry(
        conversation_id=conversation.id,
        position=position,
        expected_wait=rules.expected_wait(position, advisors_online),
        language=conversation.language,
        authenticated=conversation.authenticated,
        queued_at=conversation.queued_at,
    )


def _move(conversation: Conversation, target: str) -> None:
    if not rules.can_move(conversation.status, target):
        raise ConflictError(f"a conversation cannot go from '{conversation.status}' to '{target}'")
    conversation.status = target


def _require(session: Session, conversation_id: str, *, for_update: bool = False) -> Conversation:
    conversation = repository.get(session, conversation_id, for_update=for_update)
    if conversation is None:
        raise NotFoundError("no such conversation")
    return conversation


def erase_many(session: Session, record_type: str, conversation_ids: Sequence[str]) -> dict[str, int]:
    """The retention sweeper's erase of many records of one kind at once; returns rows per table.

    `conversation` erases whole conversations (messages, IP address, contact details and feedback with
    them, and the holds of all four kinds), like `erase`. The other kinds erase only their own rows and
    holds, so an IP address held 1 year can go while the conversation is kept for 5."""
    ids = list(conversation_ids)
    if not ids:
        return {}
    if record_type == CONVERSATION:
        counts = repository.delete_conversations(session, ids)
        retention_service.forget_records(session, record_type=RECORD_KINDS, record_ids=ids)
        return counts
    if record_type not in (CONVERSATION_IP, HANDOFF_CONTACT, FEEDBACK):
        raise ValueError(f"'{record_type}' is not a conversation record kind")
    counts = repository.delete_parts(session, record_type, ids)
    retention_service.forget_records(session, record_type=record_type, record_ids=ids)
    return counts


def retention_facts_page(
    session: Session, *, after: str | None = None, limit: int = 500
) -> list[tuple[str, str | None, list[str], dict[str, object]]]:
    """(id, subject id, record kinds present, retention facts) for conversations in id order after
    `after`: what a policy change needs to recompute holds in batches without loading whole histories."""
    result: list[tuple[str, str | None, list[str], dict[str, object]]] = []
    for conversation in repository.page_after(session, after, limit):
        facts = rules.retention_facts(
            channel=conversation.channel,
            authenticated=conversation.authenticated,
            had_advisor=conversation.had_advisor,
            complaint=conversation.complaint,
            advisory=conversation.advisory,
            deleted_by_customer=conversation.deleted_by_customer,
            created_at=conversation.created_at,
            closed_at=conversation.closed_at,
            last_message_at=conversation.last_message_at,
            subject_kind=subjects_service.kind_of(session, conversation.subject_id)
            if conversation.subject_id
            else None,
        )
        result.append((conversation.id, conversation.subject_id, _record_types(session, conversation), facts))
    return result


def export_for_subject(session: Session, subject_id: str, *, secret: str) -> list[ConversationExport]:
    """Every conversation of the subject with its messages, IP address, handoff contact and feedback,
    decrypted, oldest first (a rights request's access and portability packages; the caller audits).

    Four queries whatever the number of conversations or messages, so a subject with 10,000 messages is
    exported in one pass."""
    conversations = repository.of_subject(session, subject_id)
    if not conversations:
        return []
    by_conversation: dict[str, list[MessageRead]] = {c.id: [] for c in conversations}
    for message in repository.messages_of_subject(session, subject_id):
        by_conversation[message.conversation_id].append(MessageRead.model_validate(message))
    ips, contacts, feedbacks = repository.parts_of_subject(session, subject_id)
    cipher = FieldCipher(secret)
    ip_of = {r.conversation_id: cipher.decrypt(r.ip_enc, context=f"ip:{r.conversation_id}") for r in ips}
    contact_of = {
        r.conversation_id: HandoffContactCreate.model_construct(
            name=cipher.decrypt(r.name_enc, context=f"handoff-name:{r.conversation_id}"),
            email=cipher.decrypt(r.email_enc, context=f"handoff-email:{r.conversation_id}"),
            phone=cipher.decrypt(r.phone_enc, context=f"handoff-phone:{r.conversation_id}"),
        )
        for r in contacts
    }
    feedback_of_ = {r.conversation_id: FeedbackCreate(rating=r.rating, comment=r.comment) for r in feedbacks}
    return [
        ConversationExport(
            conversation=ConversationRead.model_validate(c),
            messages=by_conversation[c.id],
            ip_address=ip_of.get(c.id),
            handoff_contact=contact_of.get(c.id),
            feedback=feedback_of_.get(c.id),
        )
        for c in conversations
    ]
