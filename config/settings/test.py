import os

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, broker_transport_options, database, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"  # noqa: S105
DATABASES = {"default": database("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mitra")}
# A replica alias on the same test database (Django's test mirror), for the test that routes
# exports to it; every other read stays on default.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
EXPORT_DATABASE = "default"
# Fast hashing in tests; the production hasher is tested on its own.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests read django.core.mail.outbox; a real worker writes files the test reads.
EMAIL_BACKEND = env.str(
    "TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend"
)
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = env.str("TEST_CELERY_RESULT_BACKEND", default="redis://127.0.0.1:6379/14")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
# Under pytest-xdist (`make test`) each test process has a test database of its own; on a shared
# Redis its messages get keys of their own too, so that its worker never runs a task another
# process queued for rows of another database. (The worker it starts inherits the variable.)
XDIST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
if XDIST_PROCESS and CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{XDIST_PROCESS}:"
# The tests' solo-pool worker on RabbitMQ otherwise idles seconds between tasks, waiting on
# the connection's heartbeat (measured: bench/README.md). Production workers use prefork.
CELERY_BROKER_HEARTBEAT = 0
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # no collectstatic before tests
WHITENOISE_USE_FINDERS = True  # the test client gets static files too (their headers are tested)

# --- Hardening (issue #6) ---------------------------------------------------------------------
# The suite (the schema fuzz above all) sends hundreds of API requests a minute as one user from
# one address; tests/security/test_throttling.py proves the real rates of base.py answer 429.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "address": "100000/min"},
}
