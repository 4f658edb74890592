"""The benchmarks' Celery app: the project's app with every project task, plus ``bench.noop``.

Workers started with ``-A bench.celery_tasks`` run both, so the no-op never lives in
production code. The no-op counts itself on a Redis db of the bench's own (no result
backend, as in production) and, when it is the last of its run, stamps the time.
"""

import time
from functools import cache

import redis

from config.celery import app

__all__ = ["app", "noop"]

COUNTER_URL = "redis://127.0.0.1:6379/4"


@cache
def _counter() -> redis.Redis:
    # One client per pool process: redis-py resets a pool it finds in a forked child.
    return redis.Redis.from_url(COUNTER_URL)


@app.task(name="bench.noop")
def noop(run: str, total: int) -> None:
    """Nothing but one ``INCR``; the run's last one stamps ``<run>:done`` with the time."""
    if _counter().incr(run) == total:
        _counter().set(f"{run}:done", repr(time.time()))
