"""Production: only tightens base. Refuses to start without a real SECRET_KEY."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# --- Hardening (issue #6) ---------------------------------------------------------------------
# Behind one TLS-terminating proxy that sets X-Forwarded-Proto and appends X-Forwarded-For:
# throttles count the address the proxy saw, not one a client wrote into the header.
REST_FRAMEWORK["NUM_PROXIES"] = 1

# --- Performance (issue #8) -------------------------------------------------------------------
# Keep each thread's database connection between requests (a new PostgreSQL connection costs
# more than most requests); checked before reuse, so a restarted database is survived.
# Set CONN_MAX_AGE=0 behind a transaction-mode pooler such as PgBouncer (docs/DEPLOY.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
