"""How a reminder reaches a person. Email today; SMS or web push fit behind the same shape.

A channel takes a finished ``Outgoing`` message and either delivers it or raises one of the
two errors below, so the sending code decides about retries without knowing the channel.
"""

import smtplib
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage


class SendError(Exception):
    """A message was not delivered. ``reason`` is safe to store: it never holds content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


class TransientSendError(SendError):
    """Worth trying again later (connection refused, timeouts, 4xx answers)."""


class PermanentSendError(SendError):
    """Trying again will not help (a 5xx answer, no address)."""


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    # The same key on every attempt of one delivery: receivers that deduplicate by
    # Message-ID drop a copy sent again after a crash between handing over and recording.
    key: str
    unsubscribe_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> None: ...


class EmailChannel:
    """Through Django's email backend: files under var/ locally, SMTP in production."""

    name = "email"

    def send(self, message: Outgoing) -> None:
        if not message.to:
            raise PermanentSendError("no email address")
        headers = {"Message-ID": f"<{message.key}@{_mail_domain()}>", **message.headers}
        if message.unsubscribe_url:
            # RFC 2369 and RFC 8058: mail clients show "unsubscribe" and POST to it in one click.
            headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMessage(
            subject=message.subject, body=message.body, to=[message.to], headers=headers
        )
        try:
            email.send()
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}"
            if 400 <= exc.smtp_code < 500:
                raise TransientSendError(error) from exc
            raise PermanentSendError(error) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError("recipient refused") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(type(exc).__name__) from exc


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "mitra.localhost"


CHANNELS: dict[str, Channel] = {EmailChannel.name: EmailChannel()}


def channel_named(name: str) -> Channel:
    return CHANNELS[name]
