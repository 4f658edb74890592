"""A real Celery worker process on the real broker, against the test database.

``celery_worker`` is one worker for the whole session on the configured broker
(``private_redis``, a broker of a test's own, is in tests/conftest.py).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.celery import app
from tests.integration.processes import Worker


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-mail")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker, mail_dir: Path) -> Iterator[None]:
    """One worker for the session; stopped before the test database goes."""
    with django_db_blocker.unblock():
        worker = Worker(mail_dir=mail_dir)
    app.control.purge()
    try:
        worker.start()
        yield
    finally:
        worker.stop()
