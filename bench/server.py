"""Start and stop the production web server for a benchmark: gunicorn with config/gunicorn.py,
serving ``bench.wsgi`` (the production app plus the ceiling routes) on config.settings.bench."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench._common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# One key for every bench process and run: the data set outlives a run (``--reuse``, and
# bench.profile reads what bench.web loaded), and authenticator seeds are sealed under it.
# Benchmarks only; never deployed.
BENCH_SECRET_KEY = "bench-only-" + "not-a-secret-" * 4


def server_env(database_url: str, broker_url: str, secret_key: str | None = None) -> dict[str, str]:
    """What both the server and the bench process (which signs people in through Django's
    test client on the same database) need: same database, same broker, same secret."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": secret_key or BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
    }


class Server:
    """One gunicorn master with its workers, on a port of its own."""

    def __init__(
        self, env: dict[str, str], *, log_dir: Path, name: str = "web", **overrides: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", **overrides}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> "Server":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "bench.wsgi"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not listen in {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's graceful shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
