"""The audit trail: the one place that writes ``AuditEvent`` rows.

Services call these functions as they change things; views and API endpoints call
``audit_reads`` for what a clinician's request showed. Where a caller has no request at hand
(a service), the request being served is found through ``request_bound``, which the request
id middleware sets; outside a request (commands, Celery) there is no address, no request id,
and no actor unless one is given.
"""

import ipaddress
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db import connections, models, transaction
from django.http import HttpRequest

from config.postgresql.arrays import insert_from_arrays
from patients.models import AuditAction, AuditEvent, User, normalize_email

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
# The patients a request has already been audited as reading (kept on the request).
_READ_MARK = "_audit_patients_read"


@contextmanager
def request_bound(request: HttpRequest) -> Iterator[None]:
    """While serving ``request``, audit writes made without one take their origin from it."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def request_id_of(request: HttpRequest | None) -> str:
    return str(getattr(request, "request_id", "")) if request is not None else ""


def _http_request(request: Any) -> HttpRequest | None:
    """The Django request under a REST framework one (which forwards attributes but not
    writes), or the request being served."""
    if request is None:
        return _current_request.get()
    inner: HttpRequest = getattr(request, "_request", request)
    return inner


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    raw = str(request.META.get("REMOTE_ADDR", ""))
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def _signed_in(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def _record(
    *,
    action: str,
    actor: User | None,
    patient_id: uuid.UUID | str | None = None,
    object_type: str = "",
    object_id: object = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    request: Any = None,
) -> AuditEvent:
    http = _http_request(request)
    return AuditEvent.objects.create(
        actor=actor,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        ip_address=_address(http),
        request_id=request_id_of(http),
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )


def _commit_without_waiting_for_disk() -> None:
    """When the transaction just opened is the outermost, PostgreSQL commits it without
    waiting for its WAL to reach the disk (``synchronous_commit`` off, for it only).

    For read events alone: a clinician's page view would otherwise wait for a disk flush
    (10 ms on the benchmark machine, issue #8). What this risks is the last fraction of a
    second of read events if the database server itself crashes (never corruption, never
    a journal entry or a change's event, whose commits still wait). Inside a caller's
    transaction nothing changes: its commit decides for all it holds.
    """
    connection = connections[AuditEvent.objects.db]
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def audit_reads(*, request: Any, actor: User, patients: Iterable[User], object_type: str) -> None:
    """One event per patient whose data a clinician's request showed (one INSERT).

    Exactly one per request and patient: a patient already audited in this request is not
    written again. A patient reading their own journal is not an access event.
    """
    if not actor.is_clinician:
        return
    http = _http_request(request)
    seen: set[object] = getattr(http, _READ_MARK, set()) if http is not None else set()
    fresh = {patient.pk: patient for patient in patients if patient.pk not in seen}
    if not fresh:
        return
    address, request_id = _address(http), request_id_of(http)
    same = {
        "action": AuditAction.VIEW,
        "object_type": object_type,
        "ip_address": address,
        "request_id": request_id,
    }
    database = AuditEvent.objects.db
    with transaction.atomic(using=database, savepoint=False):
        _commit_without_waiting_for_disk()
        if connections[database].vendor == "postgresql":
            varying = {"patient": list(fresh)}
            insert_from_arrays(AuditEvent, varying, {"actor": actor.pk, **same}, using=database)
        else:
            AuditEvent.objects.bulk_create(
                AuditEvent(actor=actor, patient_id=patient_id, **same) for patient_id in fresh
            )
    if http is not None:
        setattr(http, _READ_MARK, seen | fresh.keys())


def audit_patient_export(
    *, request: Any, actor: User, patient: User, object_type: str
) -> AuditEvent | None:
    """A clinician exported a patient's data (a CSV or FHIR file): one EXPORT event, which
    is also this request's read of that patient (a later ``audit_reads`` adds nothing)."""
    if not actor.is_clinician:
        return None
    http = _http_request(request)
    event = _record(
        action=AuditAction.EXPORT,
        actor=actor,
        patient_id=patient.pk,
        object_type=object_type,
        request=http,
    )
    if http is not None:
        setattr(http, _READ_MARK, getattr(http, _READ_MARK, set()) | {patient.pk})
    return event


def entry_answers(entry: models.Model) -> dict[str, Any]:
    """A journal entry's answers (what the patient filled in), ready for the event's JSON
    (dates, times and decimals become strings through ``DjangoJSONEncoder``)."""
    fields = (*getattr(entry, "answer_fields", ()), "note")
    answers: dict[str, Any] = {}
    for name in fields:
        value = getattr(entry, name)
        if isinstance(value, datetime):
            value = value.astimezone(UTC)  # the zone a form typed it in is not an answer
        answers[name] = list(value) if isinstance(value, list | tuple) else value
    return answers


def audit_entry_change(
    *,
    action: str,
    entry: models.Model,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEvent:
    """A journal entry created, changed or deleted, with its answers before and after.

    The actor is whoever is signed in (the patient: entries are theirs alone to change).
    """
    return _record(
        action=action,
        actor=_signed_in(_current_request.get()),
        patient_id=getattr(entry, "patient_id", None),
        object_type=entry._meta.model_name or "",
        object_id=entry.pk,
        before=before,
        after=after,
    )


def audit_change(
    *,
    action: str,
    actor: User | None,
    patient_id: uuid.UUID | str | None,
    obj: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Any other change to a patient's record (consent, flags, reviews, thresholds)."""
    return _record(
        action=action,
        actor=actor if actor is not None else _signed_in(_current_request.get()),
        patient_id=patient_id,
        object_type=obj._meta.model_name or "",
        object_id=obj.pk,
        before=before,
        after=after,
    )


def audit_export(*, request: HttpRequest, actor: User, rows: int) -> AuditEvent:
    """Clinic staff exported the audit log (one event for the whole file)."""
    return _record(
        action=AuditAction.EXPORT,
        actor=actor,
        object_type=AuditEvent._meta.model_name or "",
        after={"rows": rows},
        request=request,
    )


# Sign-in, sign-out and failed sign-in, from Django's signals (connected in apps.py).


def on_user_logged_in(sender: object, request: HttpRequest | None, user: User, **_: Any) -> None:
    _record(action=AuditAction.SIGN_IN, actor=user, request=request)


def on_user_logged_out(
    sender: object, request: HttpRequest | None, user: User | None, **_: Any
) -> None:
    if isinstance(user, User):
        _record(action=AuditAction.SIGN_OUT, actor=user, request=request)


def on_user_login_failed(
    sender: object, credentials: Mapping[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """The account tried, if it exists; for an unknown one nothing identifying is kept
    (not the email typed), only the address and the request id."""
    typed = credentials.get("username") or credentials.get("email") or ""
    account = (
        User.objects.filter(email__iexact=normalize_email(str(typed))).first() if typed else None
    )
    _record(action=AuditAction.SIGN_IN_FAILED, actor=account, request=request)


def connect_signals() -> None:
    user_logged_in.connect(on_user_logged_in, dispatch_uid="audit-sign-in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="audit-sign-out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="audit-sign-in-failed")
