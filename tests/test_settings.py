"""Settings modes: production refuses to start without a real secret."""

import os
import subprocess
import sys

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
