"""Production settings pass Django's deployment checklist, run as it would be on a server:
``manage.py check --deploy --fail-level WARNING`` in a fresh process with a realistic env."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "mitra.example.org",
    "SITE_URL": "https://mitra.example.org",
    "DATABASE_URL": "postgres://mitra:secret@db.internal:5432/mitra",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}
READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "TRUSTED_PROXIES",
]
values = {n: getattr(s, n) for n in names}
print(json.dumps(values | {"NUM_PROXIES": s.REST_FRAMEWORK["NUM_PROXIES"]}))
"""


def run(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    environment.update(
        PRODUCTION_ENV,
        SECRET_KEY=secrets.token_urlsafe(64),
        VAR_DIR=str(tmp_path),
        **extra,
    )
    return subprocess.run(
        [sys.executable, *args],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "warning"),
    [({"SECURE_HSTS_SECONDS": "0"}, "security.W004"), ({"SECURE_SSL_REDIRECT": "false"}, "W008")],
)
def test_the_checklist_fails_when_production_is_loosened(tmp_path, env, warning):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_sends_cookies_over_https_only_and_asks_for_hsts(tmp_path):
    result = run(["-c", READ_SETTINGS], tmp_path)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "TRUSTED_PROXIES": 1,
        "NUM_PROXIES": 0,  # the middleware rewrites REMOTE_ADDR once, for everyone
    }
