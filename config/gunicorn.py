"""gunicorn's production configuration: ``gunicorn -c config/gunicorn.py config.wsgi``.

Every value can be overridden from the environment (docs/DEPLOY.md). Threads keep HTTP
keep-alive connections open and overlap database waits; processes use the cores.
"""

import os


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gunicorn's own advice: (2 × cores) + 1 processes.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 2))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Recycle a process now and then, so a slow leak in any library cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10
# Load the app once in the master; workers fork from it (faster start, shared pages).
preload_app = True
# No access log: URLs carry ids (never names), and the proxy logs requests already.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# The reverse proxy's address(es), whose X-Forwarded-* headers gunicorn trusts.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
