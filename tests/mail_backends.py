"""Email backends for tests: the one boundary where a fault is staged (SMTP is outside the
machine). Each wraps a real Django backend and only adds the fault."""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends import filebased, locmem

BLOCK_WAIT_S = 60


class FlakyLocmem(locmem.EmailBackend):
    """Drops the connection for the first ``failures_left`` sends (set by the test)."""

    failures_left = 0

    def send_messages(self, email_messages):
        if FlakyLocmem.failures_left > 0:
            FlakyLocmem.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


class RefusingLocmem(locmem.EmailBackend):
    """The server refuses the recipient for good (550)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPDataError(550, b"mailbox unavailable")


class FlakyFiles(filebased.EmailBackend):
    """For a worker process: fails while the count in $FLAKY_MAIL_FAILURES_FILE is above 0,
    counting down; then writes files as the file backend does."""

    def send_messages(self, email_messages):
        counter = Path(os.environ["FLAKY_MAIL_FAILURES_FILE"])
        left = int(counter.read_text() or 0)
        if left > 0:
            counter.write_text(str(left - 1))
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


class BlockingFiles(filebased.EmailBackend):
    """For a worker process: announces a send in $BLOCKING_MAIL_DIR/started, then holds it
    until $BLOCKING_MAIL_DIR/release exists, so a test can kill the worker mid-send."""

    def send_messages(self, email_messages):
        control = Path(os.environ["BLOCKING_MAIL_DIR"])
        (control / "started").touch()
        deadline = time.monotonic() + BLOCK_WAIT_S
        while not (control / "release").exists():
            if time.monotonic() > deadline:
                raise smtplib.SMTPServerDisconnected("test never released the send")
            time.sleep(0.05)
        return super().send_messages(email_messages)
