"""Real Celery worker processes and a private Redis, for the integration tests.

Fault tests start their own ``Worker`` (another mail backend, another pool, killed and
restarted) on a private ``RedisServer`` they can stop and start, switched to with
``use_broker``.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import connection
from kombu import pools

from config.celery import app

READY_TIMEOUT_S = 60
WAIT_S = 30
T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout: float = WAIT_S) -> T:
    """Poll another process's work until it shows, within a bound."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.1)
    raise AssertionError("the worker did not finish in time")


def mails_to(mail_dir: Path, address: str) -> list[Message]:
    """Every message the file backend wrote to ``mail_dir`` for ``address``."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        # The file backend writes one or more messages per file, each followed by a rule.
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(message_from_bytes(chunk))
    return [m for m in messages if m["To"] == address]


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    name = connection.settings_dict["NAME"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


class Worker:
    """``celery worker`` as a process of its own (and its own process group, so a test can
    kill it with everything it forked)."""

    def __init__(
        self,
        *,
        mail_dir: Path,
        pool: str = "solo",
        broker_url: str | None = None,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        loglevel: str = "WARNING",
    ) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": _test_database_url(),
            "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            **({"TEST_CELERY_BROKER_URL": broker_url} if broker_url else {}),
            **(env or {}),
        }
        self.pool = pool
        self.log = log  # everything the worker prints, when set
        self.loglevel = loglevel
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Worker":
        output = self.log.open("wb") if self.log else None
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={self.pool}",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=mitra-test-{os.getpid()}-{time.monotonic_ns()}@%h",
                f"--loglevel={self.loglevel}",
            ],
            env=self.env,
            cwd=settings.BASE_DIR,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )
        if output:
            output.close()  # the worker has its own copy
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.process.returncode}")
            if app.control.ping(timeout=1.0):
                return self
        raise RuntimeError("celery worker did not answer a ping in time")

    def kill(self) -> None:
        """SIGKILL the worker and its children: no goodbye, no acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A private redis-server a test may stop and start: the shared one stays untouched."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker, and back afterwards: every pool
    and cache that remembers a broker or a result backend is dropped both ways."""
    saved = app.conf.broker_url, app.conf.result_backend

    def switch(broker: str, backend: str | None) -> None:
        app.pool.force_close_all()
        pools.reset()  # kombu keeps closed pools in its registry
        app._after_fork()  # the app's connection and producer pools
        app.control._after_fork()  # the control mailbox's producer pool
        app._backend_cache = None
        vars(app._local).pop("backend", None)
        app.conf.broker_url = broker
        app.conf.result_backend = backend

    switch(url, None)
    try:
        yield
    finally:
        switch(*saved)
