"""Settings shared by every mode. Each variable is read once, here, through `env`.

Defaults are safe for a laptop: SQLite under var/, a Celery transport that needs no
server (files under var/broker/), and email written to files under var/mail/.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Local files: the SQLite database, Celery's broker folders and beat schedule, mail, static.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-change-me-in-production")
# Earlier keys, still accepted for what they signed (sessions, links, backup codes' digests)
# while a new SECRET_KEY rolls out: docs/DEPLOY.md.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.MitraAdminConfig",  # django.contrib.admin, signed into in two steps
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "patients",
    "journals",
]

MIDDLEWARE = [
    "config.security.ProxiedClientMiddleware",  # deployment (issue #8): the client's address
    "patients.middleware.RequestIdMiddleware",  # audit (issue #6): first, so every answer has it
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # hardening (issue #6): see the block at the end
    "django.middleware.clickjacking.XFrameOptionsMiddleware",  # hardening: static files too
    "config.security.RequestSizeLimitMiddleware",  # hardening: 413 before anything reads
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # sign-in (issue #6): request.user.is_verified()
    "patients.auth.SessionTimeoutMiddleware",  # sign-in: idle and absolute session limits
    "patients.auth.SecondFactorMiddleware",  # sign-in: no page or API without the second step
    "config.security.NoStoreMiddleware",  # hardening: below WhiteNoise, so static is cacheable
    "patients.middleware.PatientTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",  # sign-in: last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database(variable: str, default: str | None = None) -> dict[str, Any]:
    """A database from its URL; PostgreSQL through config.postgresql (Django's backend, with
    the health check of a kept connection made once it has been idle)."""
    config: dict[str, Any] = env.db_url(variable, default=default)
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "config.postgresql"
    return config


DATABASES = {"default": database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'mitra.sqlite3'}")}
# Exports (CSV, FHIR), the longest reads, go to a read replica when one is given.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = database("DATABASE_REPLICA_URL")
EXPORT_DATABASE = "replica" if "replica" in DATABASES else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "patients.User"
# Sign-in (issue #6): Argon2id with parameters measured on this machine (bench/argon2_cost.py).
# The first hasher also reads older Argon2 hashes and re-hashes them at the next sign-in.
PASSWORD_HASHERS = [
    "patients.hashers.MitraArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "signin"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3  # a reset link works for three hours

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Email: EMAIL_URL such as smtp+tls://user:pass@host:587 or consolemail://.
_email = env.email_url("EMAIL_URL", default="filemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mitra <no-reply@mitra.localhost>")

# Celery. The default transport keeps messages in files, so web, worker and beat
# can talk on a laptop without any server running.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
_BROKER_DIR = VAR_DIR / "broker"


def broker_transport_options(url: str) -> dict[str, object]:
    if url.startswith("filesystem"):
        return {
            "data_folder_in": str(_BROKER_DIR / "queue"),
            "data_folder_out": str(_BROKER_DIR / "queue"),
            "control_folder": str(_BROKER_DIR / "control"),
            "store_processed": False,
        }
    if url.startswith(("redis", "rediss")):
        # Redis hands an unacknowledged message to another worker after the visibility
        # timeout: far above any task's time limit and retry countdown, so a slow task is
        # never doubled. (A worker that dies is covered sooner: journals/reminders/send.py, leases.)
        return {"visibility_timeout": 60 * 60}
    return {}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Absence rules (stopped_logging) and trends need a clock, not only entry writes.
    "flags-sweep": {"task": "journals.tasks.flags_sweep_task", "schedule": 60 * 60},
    # At the start of every minute; a run left over from a stalled beat is dropped, since
    # the next one covers its window (journals/reminders/dispatch.py, CATCH_UP).
    "reminders-dispatch": {
        "task": "journals.tasks.reminders_dispatch_task",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
}

# Reminders (journals/reminders/). A worker holds a delivery for the lease while it
# sends; the send's hard time limit stays below it, so a live sender is never doubled.
REMINDER_SEND_TIME_LIMIT_SECONDS = env.int("REMINDER_SEND_TIME_LIMIT_SECONDS", default=30)
REMINDER_SEND_LEASE_SECONDS = env.int("REMINDER_SEND_LEASE_SECONDS", default=120)
REMINDER_RETRY_BASE_SECONDS = env.float("REMINDER_RETRY_BASE_SECONDS", default=30.0)
if REMINDER_SEND_LEASE_SECONDS <= REMINDER_SEND_TIME_LIMIT_SECONDS + 5:
    raise ImproperlyConfigured("REMINDER_SEND_LEASE_SECONDS must exceed the send time limit.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, with expiry renewed by role (issue #6: clinicians' 15 minutes idle, 12 hours)
        "patients.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.rest.Pagination",
    "DEFAULT_SCHEMA_CLASS": "config.schema.MitraAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "config.rest.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Scores, percentages and amounts are JSON numbers, not strings.
    "COERCE_DECIMAL_TO_STRING": False,
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=30),
    "AUTO_REFRESH": True,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mitra API",
    "DESCRIPTION": (
        "Pain, sleep and use journal for people who manage chronic pain with kratom, "
        "and for their care teams. Mitra records, shows and alerts; it never gives dosing advice."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files are served from this app, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UnitEnum": "journals.choices.Unit",
        "FormEnum": "journals.choices.Form",
        "SubstanceEnum": "journals.choices.Substance",
        "ReasonEnum": "journals.choices.Reason",
        "MixedWithEnum": "journals.choices.MixedWith",
        "FlagStatusEnum": "journals.models.FlagStatus",
    },
}

INVITATION_TTL = timedelta(days=7)

# No patient data in logs: only warnings and up, and never request bodies.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- Hardening (issue #6): headers, CSP, request limits, API throttles -----------------------
# These hold in every mode, local too; production.py adds HTTPS, HSTS and secure cookies.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: pages and the server-drawn SVG charts use only
# mitra.css. The Swagger UI page relaxes style-src for itself only (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# A journal entry is a few hundred bytes; nothing is uploaded. Larger bodies answer 413
# (config.security.RequestSizeLimitMiddleware, which also covers DRF's JSON parser).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
# Per signed-in user and per client address; over the rate answers 429 with Retry-After.
# The counters live in the default cache (per process unless a shared cache is configured).
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "config.throttles.UserThrottle",
    "config.throttles.AddressThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "user": "120/min",  # a person: two requests a second, sustained for a minute
    "address": "600/min",  # a clinic's staff may share one address
}
# The client's address is found once, by config.security.ProxiedClientMiddleware, for the
# throttles, the lockout and the audit alike: DRF reads REMOTE_ADDR as it is.
REST_FRAMEWORK["NUM_PROXIES"] = 0
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

# --- Sign-in and sessions (issue #6): two-step sign-in, lockout, session limits -------------
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked account + address before hashing
    "patients.auth.AddressLimitBackend",  # the looser limit per address
    "django.contrib.auth.backends.ModelBackend",
]
OTP_TOTP_ISSUER = "Mitra"
# Staff may see and remove someone's authenticator (a lost phone), never its seed or QR code:
# that would let them make the person's codes. (Seeds are sealed too: patients.sealed.)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Lockout: 5 failures of one account from one address lock that pair for 15 minutes, so
# nobody can lock a patient out from elsewhere. A wrong second-step code counts as a failure.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "patients.auth.axes_username"  # emails compared case-insensitively
AXES_LOCKOUT_CALLABLE = "patients.auth.axes_lockout_response"  # locked looks like wrong
AXES_CLIENT_STR_CALLABLE = "patients.auth.axes_client_str"  # no email in the logs
AXES_DISABLE_ACCESS_LOG = True  # the audit trail records sign-ins
AXES_SENSITIVE_PARAMETERS = ["username", "email", "ip_address", "otp", "code"]
# Looser, per address whatever the account (patients.auth.AddressLimitBackend): enough for a
# clinic's staff behind one address, few enough to stop spraying one password over many.
SIGNIN_ADDRESS_FAILURE_LIMIT = 50
# (idle, absolute) session limits by role; clinic staff count as clinicians. Patients log on
# their phone once or twice a day and their journal is their own: two weeks idle, 30 days.
SESSION_LIMITS = {
    "clinician": (timedelta(minutes=15), timedelta(hours=12)),
    "patient": (timedelta(days=14), timedelta(days=30)),
}
SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())
# django-axes says every sign-in at INFO; failures and lockouts (warnings) are what matter.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # type: ignore[index]
