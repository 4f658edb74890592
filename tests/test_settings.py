"""Settings modes: production refuses to start without a real secret; local needs no server;
parallel test processes keep to their own broker keys."""

import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings

SETUP = "import django; django.setup(); print('started')"


def _start(settings_module: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _start("config.settings.production")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_local_placeholder_key():
    result = _start(
        "config.settings.production", SECRET_KEY="insecure-local-only-key-change-me-in-production"
    )

    assert result.returncode != 0


def test_production_starts_with_a_real_secret_key():
    result = _start("config.settings.production", SECRET_KEY="k" * 20 + "Zx9!" * 10)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_local_defaults_need_no_server():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND)",
        ],
        env={
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL"}
        }
        | {"DJANGO_SETTINGS_MODULE": "config.settings.local"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.filebased.EmailBackend",
    ]


def test_each_xdist_process_queues_its_tasks_under_keys_of_its_own():
    """`make test` runs two test processes, each with its own database and worker: a task one
    of them queues on the shared Redis must never reach the other's worker."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the key prefix is a Redis transport option")
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    own_keys = "gw7:*"
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from config.celery import app; "
                "app.send_task('journals.tasks.no_such_task')",
            ],
            env={**os.environ, "PYTEST_XDIST_WORKER": "gw7"},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr

        assert queue.llen("gw7:celery") == 1
        assert not any(b"no_such_task" in message for message in queue.lrange("celery", 0, -1))
    finally:
        if keys := queue.keys(own_keys):
            queue.delete(*keys)
