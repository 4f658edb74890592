"""Django's PostgreSQL backend, with the health check of a kept connection made only once
that connection has been idle (``ENGINE = "config.postgresql"``; issue #8).

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request: one more round trip on every request, which took a quarter of a token-checked API
call on the benchmark machine. A connection that ran a query less than
``HEALTH_CHECK_AFTER_IDLE`` seconds ago is taken as alive; one idle longer (a quiet hour, a
restarted or failed-over database) is checked as Django checks it, and replaced if dead. A
connection that dies within that second fails one request, which closes it (Django's own
handling of errors), as it would have failed one if it had died just after a check.
"""

import time
from typing import Any

from django.db.backends.postgresql import base

HEALTH_CHECK_AFTER_IDLE = 1.0  # seconds


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = float("-inf")  # time.monotonic() of the last cursor opened
    health_check_done: bool  # Django's, set per request

    def create_cursor(self, name: Any = None) -> Any:
        self.used_at = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and time.monotonic() - self.used_at < HEALTH_CHECK_AFTER_IDLE
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
