"""What the reminder benchmarks share: their database, broker, worker processes and mail.

They run on ``config.settings.test`` rather than a settings module of their own: it already
reads the database, broker and email backend from ``TEST_*`` variables, exactly as the
integration tests' worker does (tests/integration/conftest.py), so the bench process and the
worker processes it starts are configured by one environment and cannot drift apart.
"""

import email
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mitra_bench"
)
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def configure(*, broker: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Set what config.settings.test reads, before ``django.setup()``; the workers get the
    same environment (returned)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": DATABASE_URL,
        "TEST_CELERY_BROKER_URL": broker,
        # Production stores no results (CELERY_RESULT_BACKEND unset): neither do we.
        "TEST_CELERY_RESULT_BACKEND": "disabled://",
        "TEST_EMAIL_BACKEND": FILE_BACKEND,
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    os.environ.update(env)
    return env


def database_create(url: str = DATABASE_URL) -> None:
    """Create the bench database when missing (it is never the tests' or the app's)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # name from our own setting


def database_ready() -> None:
    """Migrate the bench database and empty every table a bench fills."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE patients_user, patients_clinic CASCADE")


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into a table over the Django connection; returns how many."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    count = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    if not raw.autocommit:
        raw.commit()
    return count


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Worker:
    """One ``celery worker`` process, configured by the environment it is given."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        name: str,
        pool: str,
        concurrency: int,
        mail_dir: Path,
        log_dir: Path,
        queue: str | None = None,
    ) -> None:
        self.hostname = f"{name}@bench"
        self.env = {**os.environ, **env, "EMAIL_FILE_PATH": str(mail_dir)}
        self.args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={self.hostname}",
            "--loglevel=WARNING",
            *([f"--queues={queue}"] if queue else []),
        ]
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Worker":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            self.args, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None  # noqa: S101
        return self.process.pid

    def wait_ready(self, app: Any, timeout: float = 60.0) -> None:
        """Until it answers a ping addressed to it alone (other workers may share a broker)."""
        assert self.process is not None  # noqa: S101
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.hostname} exited; see {self.log_path}")
            try:
                if app.control.ping(destination=[self.hostname], timeout=1.0):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"{self.hostname} did not answer a ping; see {self.log_path}")

    def children(self) -> list[int]:
        """Pool processes: the children of the main process (/proc, no extra library)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown: finishes the task in hand
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_SEPARATOR = re.compile(rb"\n-{79}\n")


def mail_messages(folder: Path) -> list[Message]:
    """Every message the file backend wrote. One file may hold several: the backend names a
    file after the second and ``id()`` of its connection object, and appends."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in _SEPARATOR.split(path.read_bytes()):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return messages


def wait_until(
    check: Callable[[], bool], *, timeout: float, every: float = 0.2, what: str = "condition"
) -> float:
    """Poll until ``check()``; returns the seconds it took. Raises after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not reached in {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table, for the terminal and for notes alike."""
    lines = [list(map(str, headers)), *[list(map(str, row)) for row in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]

    def fmt(line: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"

    return "\n".join(
        [fmt(lines[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, lines[1:])]
    )


PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"


def report_section(name: str, markdown: str) -> None:
    """Replace this bench's part of docs/PERFORMANCE.md (between its two markers, added at the
    end when missing); the hand-written rest of the document is left as it is."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    block = f"{start}\n{markdown.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    PERFORMANCE_MD.write_text(text)


def rabbitmq_up() -> bool:
    """Whether the local RabbitMQ answers (benches compare it with Redis when it does)."""
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5672)) == 0
