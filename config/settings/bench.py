"""Benchmarks only (bench/web.py): the production settings over plain HTTP on loopback,
plus the ceiling routes of bench/ceiling.py. Never deployed.

Production is taken as it is; only what loopback HTTP and a load generator need changes:
no TLS redirect (wrk speaks plain HTTP), and throttle rates a load run cannot reach, while
the throttle classes themselves still run on every request, as they do in production.
"""

from .production import *  # noqa: F403
from .production import REST_FRAMEWORK

ROOT_URLCONF = "bench.ceiling"
SECURE_SSL_REDIRECT = False
TRUSTED_PROXIES = 0  # wrk talks to gunicorn directly
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"user": "1000000/min", "address": "1000000/min"}
