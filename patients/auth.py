"""Sign-in plumbing: the two-step flow, session limits, lockout hooks and API tokens.

- A password that checks out does not sign anyone in who has a second step: the session
  only remembers who is half-way (``pending_*``) until the code, or the set-up of an
  authenticator for a clinician who has none, completes it (``signin_complete``).
- ``SessionTimeoutMiddleware`` ends sessions that sat idle or are simply too old, by role;
  ``TokenAuthentication`` gives API tokens the same limits.
- ``SecondFactorMiddleware`` signs out any session that should have passed the second step
  and did not (one made by the admin's own login form, say).
- django-axes locks an account from one address after 5 failures; ``AddressLimitBackend``
  adds the looser limit per address. Both refuse inside ``authenticate``, so a locked
  account answers exactly as a wrong password does.
- Changing a password or deactivating someone ends their sessions and API tokens, wherever
  it is done (reset link, admin, ``changepassword``): a receiver, because a missed caller
  would leave a stolen token alive.
"""

import binascii
import time
from datetime import timedelta
from hmac import compare_digest
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Sum
from django.db.models.signals import post_save, pre_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS as knox_constants
from knox.settings import knox_settings
from rest_framework import exceptions

from patients.mfa import required_by_role
from patients.models import PatientProfile, User, normalize_email

PENDING_KEY = "signin_pending"
PENDING_TTL = timedelta(minutes=10)  # long enough to find the phone and scan a QR code
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen_at"
MFA_REQUIRED = "mfa_required"  # a patient who set up a second step
# The idle clock moves in steps of a minute, so a busy session is written once a minute.
LAST_SEEN_STEP = 60


def session_limits(user: User) -> tuple[timedelta, timedelta]:
    """(idle, absolute) for this person's sessions and API tokens."""
    limits: dict[str, tuple[timedelta, timedelta]] = settings.SESSION_LIMITS
    return limits["clinician" if required_by_role(user) else "patient"]


# Half-way through signing in -------------------------------------------------------------


def pending_start(request: HttpRequest, user: User, *, next_url: str) -> None:
    """The password checked out; remember who, until the second step (new session id)."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": str(user.pk),
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "at": time.time(),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> tuple[User, str] | None:
    """(who, where to after) for a sign-in waiting for its second step, else None."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > PENDING_TTL.total_seconds():
        pending_clear(request)
        return None
    user = User.objects.filter(pk=str(pending.get("user")), is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    user.backend = pending["backend"]  # type: ignore[attr-defined]
    return user, str(pending.get("next") or "")


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def signin_complete(request: HttpRequest, user: User, device: Any | None) -> None:
    """Both steps passed: sign in (Django rotates the session id and sends user_logged_in)."""
    pending_clear(request)
    if device is not None:
        user.otp_device = device  # type: ignore[attr-defined]  # django-otp's user_logged_in receiver keeps it in the session
    login(request, user, backend=getattr(user, "backend", None))
    if device is not None:
        request.session[MFA_REQUIRED] = True


def signin_failed(request: HttpRequest, email: str) -> None:
    """A wrong second-step code counts as a failed sign-in: for the lockout and the audit."""
    user_login_failed.send(
        sender=__name__, credentials={"username": normalize_email(email)}, request=request
    )


def signin_refused(request: HttpRequest, email: str) -> bool:
    """True while this account is locked from this address, or the address is."""
    credentials = {"username": normalize_email(email)}
    return not AxesProxyHandler.is_allowed(request, credentials) or address_over_limit(request)


# Lockout ----------------------------------------------------------------------------------


def address_over_limit(request: HttpRequest) -> bool:
    """Has this address failed too often lately, whichever accounts it tried?"""
    address = get_client_ip_address(request)
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return (failures or 0) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT


class AddressLimitBackend:
    """Refuses every sign-in from an address over its limit (50 failures in 15 minutes).

    django-axes counts one limit over its parameter sets, so the looser per-address one
    reads axes' own records here. Raising PermissionDenied stops ``authenticate``, which
    then sends user_login_failed as for any failure: the answer is the usual one.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is not None and address_over_limit(request):
            raise PermissionDenied
        return None  # no get_user: sessions name ModelBackend, never this


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """Emails are compared case-insensitively, so the lockout is too.

    Django's signals name the login ``username``; axes' own backend names it after
    ``USERNAME_FIELD`` (``email``): either counts.
    """
    given = credentials or {}
    value = given.get("username") or given.get(User.USERNAME_FIELD)
    return normalize_email(value) if isinstance(value, str) and value else None


def axes_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """A locked account answers as a wrong password: the view's own answer, unchanged."""
    return original_response if original_response is not None else HttpResponse(status=400)


def axes_client_str(
    username: str | None, ip_address: str | None, user_agent: str, path_info: str, request: Any
) -> str:
    """How axes names a client in the logs: the address only, never the email."""
    return f"address {ip_address}"


# Session limits and the second step --------------------------------------------------------


def _stamp(request: HttpRequest, user: User, now: float) -> None:
    idle, absolute = session_limits(user)
    signed_in_at = float(request.session.get(SIGNED_IN_AT, now))
    request.session[SIGNED_IN_AT] = signed_in_at
    request.session[LAST_SEEN] = now
    left = absolute.total_seconds() - (now - signed_in_at)
    request.session.set_expiry(int(max(1, min(idle.total_seconds(), left))))


class SessionTimeoutMiddleware:
    """Ends a session idle too long or signed in too long ago (settings.SESSION_LIMITS).

    The session's own expiry follows the idle limit too, so the cookie and the stored
    session lapse on their own; this makes the absolute limit hold and acts at once.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated:
            now = time.time()
            signed_in_at = request.session.get(SIGNED_IN_AT)
            last_seen = request.session.get(LAST_SEEN)
            idle, absolute = session_limits(user)
            if signed_in_at is None or last_seen is None:
                _stamp(request, user, now)
            elif (
                now - float(last_seen) > idle.total_seconds()
                or now - float(signed_in_at) > absolute.total_seconds()
            ):
                logout(request)
            elif now - float(last_seen) >= LAST_SEEN_STEP:
                _stamp(request, user, now)
        response: HttpResponse = self.get_response(request)
        return response


class SecondFactorMiddleware:
    """A session that should have passed the second step and did not is signed out.

    Our sign-in never makes one; the admin's login form or a session from before two-step
    sign-in would. The request goes on as anonymous: pages send it to sign in, the API 401s.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if (
            user.is_authenticated
            and (required_by_role(user) or request.session.get(MFA_REQUIRED))
            and not user.is_verified()
        ):
            logout(request)
        response: HttpResponse = self.get_response(request)
        return response


def _stamp_on_sign_in(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if getattr(request, "session", None) is not None:
        request.session.pop(SIGNED_IN_AT, None)
        _stamp(request, user, time.time())


# API tokens ---------------------------------------------------------------------------------


def token_create(user: User) -> tuple[AuthToken, str]:
    """A new API token that lapses after the person's idle limit unless used."""
    idle, _ = session_limits(user)
    # The person's lapsed tokens are deleted here, at sign-in, not on every request (below).
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user, expiry=idle)
    return instance, token


class _TokenLookup:
    """One query for a token, its person and, for a patient, their profile (zone and journal
    version, which most patient calls read), written out once per database from the models'
    own columns, with that database's value converters (SQLite keeps times and ids as text).

    Every API call runs it; the ORM's ``select_related`` spent twice the database's time
    compiling the same statement again and building the objects (issue #8).
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        quote = connection.ops.quote_name
        self.parts = [
            (model, [f.attname for f in model._meta.concrete_fields])
            for model in (AuthToken, User, PatientProfile)
        ]
        fields = [field for model, _ in self.parts for field in model._meta.concrete_fields]
        columns = [
            f"{alias}.{quote(f.column)}"
            for alias, model in zip("tup", (AuthToken, User, PatientProfile), strict=True)
            for f in model._meta.concrete_fields
        ]
        token_user = AuthToken._meta.get_field("user")
        profile_user = PatientProfile._meta.get_field("user")
        token_key = AuthToken._meta.get_field("token_key")
        user_pk = f"u.{quote(User._meta.pk.column)}"
        self.sql = (
            f"SELECT {', '.join(columns)} "  # noqa: S608  # nosec B608 (model metadata, not input)
            f"FROM {quote(AuthToken._meta.db_table)} t "
            f"JOIN {quote(User._meta.db_table)} u ON {user_pk} = t.{quote(token_user.column)} "
            f"LEFT JOIN {quote(PatientProfile._meta.db_table)} p "
            f"ON p.{quote(profile_user.column)} = {user_pk} "
            f"WHERE t.{quote(token_key.column)} = %s"
        )
        self.converters: list[tuple[int, list[Any], Any]] = []
        for index, field in enumerate(fields):
            column = field.get_col(field.model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((index, found, column))

    def __call__(self, connection: BaseDatabaseWrapper, key: str) -> list[AuthToken]:
        """The tokens with this key, each with its ``user`` (and their ``patient_profile``, or
        none) read in the same row."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [key])
            fetched = cursor.fetchall()
        tokens = []
        for raw in fetched:
            row = list(raw)
            for index, found, column in self.converters:
                if row[index] is not None:
                    for convert in found:
                        row[index] = convert(row[index], column, connection)
            token, user, profile = self._objects(connection.alias, row)
            token.user = user
            # As select_related("patient_profile") would: a clinician's is known to be none.
            PatientProfile.user.field.remote_field.set_cached_value(user, profile)
            if profile is not None:
                profile.user = user
            tokens.append(token)
        return tokens

    def _objects(self, alias: str, row: list[Any]) -> list[Any]:
        objects, start = [], 0
        for model, names in self.parts:
            values = row[start : start + len(names)]
            start += len(names)
            present = values[names.index(model._meta.pk.attname)] is not None
            objects.append(model.from_db(alias, names, values) if present else None)
        return objects


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's tokens, renewed on use up to the idle limit and never past the absolute one."""

    _lookups: dict[str, _TokenLookup] = {}  # per database alias

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        """knox's check (each token with this key, lapsed ones deleted, digest compared in
        constant time, renewal, an inactive person refused) on one hand-written query."""
        text = token.decode("utf-8")
        connection = connections[AuthToken.objects.db]
        lookup = self._lookups.get(connection.alias)
        if lookup is None:
            lookup = self._lookups[connection.alias] = _TokenLookup(connection)
        for auth_token in lookup(connection, text[: knox_constants.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                result: tuple[User, AuthToken] = self.validate_user(auth_token)
                return result
        raise exceptions.AuthenticationFailed(_("Invalid token."))

    def renew_token(self, auth_token: AuthToken) -> None:
        idle, absolute = session_limits(auth_token.user)
        new_expiry = min(timezone.now() + idle, auth_token.created + absolute)
        if auth_token.expiry is None or (
            (new_expiry - auth_token.expiry).total_seconds() > knox_settings.MIN_REFRESH_INTERVAL
        ):
            auth_token.expiry = new_expiry
            auth_token.save(update_fields=("expiry",))

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        """Refuse and delete this token once it has lapsed. knox would also read and sweep
        all the person's other tokens here, one more query on every API call; those go at
        their next sign-in (``token_create``) and are refused meanwhile anyway."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class MitraTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox's tokens, for the subclass above."""

    target_class = "patients.auth.TokenAuthentication"


# A password change or a deactivation ends sessions and tokens -------------------------------


def _note_credentials_change(
    sender: type[User], instance: User, update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    instance._credentials_changed = False  # type: ignore[attr-defined]
    if instance._state.adding or kwargs.get("raw"):
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    # set_password() keeps the new raw password in _password until the save: a change made by
    # a person. Django re-hashing at sign-in (new parameters) clears it first: not a change.
    raw = getattr(instance, "_password", None)
    password_changed = before["password"] != instance.password and raw is not None
    deactivated = before["is_active"] and not instance.is_active
    instance._credentials_changed = password_changed or deactivated  # type: ignore[attr-defined]


def _end_sessions_after_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_credentials_changed", False):
        from patients.services import user_sessions_end

        instance._credentials_changed = False  # type: ignore[attr-defined]
        user_sessions_end(user=instance)


def connect_signals() -> None:
    user_logged_in.connect(_stamp_on_sign_in, dispatch_uid="patients.auth.stamp")
    pre_save.connect(_note_credentials_change, sender=User, dispatch_uid="patients.auth.note")
    post_save.connect(_end_sessions_after_change, sender=User, dispatch_uid="patients.auth.end")
