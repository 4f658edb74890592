"""The bench server's WSGI application: the production one, except that C1 is answered by a
second Django handler with no middleware at all (bench/ceiling.py)."""

import os
from collections.abc import Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django
from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings

django.setup(set_prefix=False)


class BareHandler(WSGIHandler):
    """Django's handler (URL resolver, request, view, response) without one middleware."""

    def load_middleware(self, is_async: bool = False) -> None:
        with override_settings(MIDDLEWARE=[]):
            super().load_middleware(is_async)


full = WSGIHandler()
bare = BareHandler()


def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/bench/c1/":
        return bare(environ, start_response)
    return full(environ, start_response)
