"""A real Celery worker process on the real broker, against the test database."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app

READY_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-mail")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker, mail_dir: Path) -> Iterator[None]:
    """Start ``celery worker`` as its own process; stop it before the test database goes."""
    with django_db_blocker.unblock():
        test_db = connection.settings_dict["NAME"]
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{test_db}"
        ),
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname=mitra-test@%h",
            "--loglevel=WARNING",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        _wait_until_ready(worker)
        yield
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_until_ready(worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"celery worker exited with {worker.returncode}")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("celery worker did not answer a ping in time")
