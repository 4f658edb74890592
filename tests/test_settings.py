"""Settings modes: production refuses to start without a real secret, PostgreSQL and a broker
server, and is what the server entry points default to; local needs no server; parallel test
processes keep to their own broker keys."""

import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings

SETUP = "import django; django.setup(); print('started')"
SECRET = "k" * 20 + "Zx9!" * 10
SERVERS = {
    "DATABASE_URL": "postgres://mitra@db.internal:5432/mitra",
    "CELERY_BROKER_URL": "amqp://mitra:secret@broker.internal:5672/mitra",
}
# What the environment of `make test` may hold, and what each test here sets itself.
UNSET = {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}


def _start(
    settings_module: str | None, *, code: str = SETUP, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    if settings_module is not None:
        environment["DJANGO_SETTINGS_MODULE"] = settings_module
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _start("config.settings.production", **SERVERS)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_local_placeholder_key():
    result = _start(
        "config.settings.production",
        SECRET_KEY="insecure-local-only-key-change-me-in-production",
        **SERVERS,
    )

    assert result.returncode != 0


def test_production_starts_with_a_real_secret_key():
    result = _start("config.settings.production", SECRET_KEY=SECRET, **SERVERS)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", None, "DATABASE_URL must name a PostgreSQL database"),
        ("DATABASE_URL", "sqlite:////tmp/mitra.sqlite3", "DATABASE_URL must name a PostgreSQL"),
        ("CELERY_BROKER_URL", None, "CELERY_BROKER_URL must name Redis or RabbitMQ"),
        ("CELERY_BROKER_URL", "memory://", "CELERY_BROKER_URL must name Redis or RabbitMQ"),
        ("CELERY_BROKER_URL", "filesystem://", "CELERY_BROKER_URL must name Redis or RabbitMQ"),
    ],
    ids=["no-database", "sqlite", "no-broker", "memory-broker", "files-broker"],
)
def test_production_refuses_the_laptop_defaults(variable, value, message):
    servers = {k: v for k, v in SERVERS.items() if k != variable}
    if value is not None:
        servers[variable] = value

    result = _start("config.settings.production", SECRET_KEY=SECRET, **servers)

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("broker", ["redis://cache.internal:6379/0", "rediss://r.internal:6380/0"])
def test_production_takes_redis_as_its_broker(broker):
    servers = SERVERS | {"CELERY_BROKER_URL": broker}

    result = _start("config.settings.production", SECRET_KEY=SECRET, **servers)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_server_entry_points_default_to_production(entry_point):
    """A unit that forgot DJANGO_SETTINGS_MODULE must not serve with the local DEBUG on."""
    code = f"import {entry_point}; from django.conf import settings as s; print(s.DEBUG)"

    refused = _start(None, code=code, **SERVERS)
    started = _start(None, code=code, SECRET_KEY=SECRET, **SERVERS)

    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["False"]


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


def test_production_reads_earlier_keys_for_a_rotation():
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(len(s.SECRET_KEY_FALLBACKS), s.SECRET_KEY_FALLBACKS[1] == 'b' * 50)"
    result = _start(
        "config.settings.production",
        code=code,
        SECRET_KEY=SECRET,
        SECRET_KEY_FALLBACKS=f"{'a' * 50},{'b' * 50}",
        **SERVERS,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "True"]
