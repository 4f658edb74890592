"""Production: only tightens base. Refuses to start without a real SECRET_KEY, a PostgreSQL
database and a broker that is a server (the laptop defaults would start, and quietly keep
each machine's data and tasks to itself)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, DATABASES, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters.")
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
if not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must name Redis or RabbitMQ (redis://, amqp://).")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# --- Hardening (issue #6) ---------------------------------------------------------------------
# Behind one TLS-terminating proxy that sets X-Forwarded-Proto and appends X-Forwarded-For:
# the throttles, the lockout and the audit count the address the proxy saw, not one a client
# wrote into the header (config.security.ProxiedClientMiddleware).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=1)

# --- Performance (issue #8) -------------------------------------------------------------------
# Keep each thread's database connection between requests (a new PostgreSQL connection costs
# more than most requests); checked before reuse, so a restarted database is survived.
# Behind a transaction-mode pooler such as PgBouncer set CONN_MAX_AGE=0 and
# DB_DISABLE_SERVER_SIDE_CURSORS=true (exports stream through a cursor; docs/DEPLOY.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DB_DISABLE_SERVER_SIDE_CURSORS", default=False
)
# Several web processes share one count of throttled requests only through a shared cache:
# CACHE_URL=redis://host:6379/1. Without it each process counts on its own.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
