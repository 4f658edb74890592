"""Middleware that keeps patient data out of caches, caps what a request may send, and finds
the client's address behind a reverse proxy; and the API docs page, set up to work under the
Content-Security-Policy."""

from collections.abc import Callable

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.cache import add_never_cache_headers
from drf_spectacular.views import SpectacularSwaggerSplitView

TOO_LARGE = "The request body is too large."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class ProxiedClientMiddleware:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, the client's address is the one the
    outermost of them appended to ``X-Forwarded-For``: ``REMOTE_ADDR`` becomes that, so the
    lockout (django-axes), the throttles and the audit trail all count the client, not the
    proxy. With no trusted proxy the header is ignored: anyone can write it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        proxies = settings.TRUSTED_PROXIES
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if proxies and forwarded:
            addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
            if addresses:
                request.META["REMOTE_ADDR"] = addresses[-min(proxies, len(addresses))]
        return self.get_response(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every answer that may carry patient data.

    The rule is kept simple so it cannot miss a page: every response to a signed-in user and
    every API response (a token caller is not signed in on the session). Static files never
    get here: WhiteNoise, above this in ``MIDDLEWARE``, answers them itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # DRF writes a token caller onto the Django request too, so `user` is theirs here.
        user = getattr(request, "user", None)
        if _is_api(request) or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)  # no-store, no-cache, must-revalidate, private
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with 413, before anything
    reads it.

    Django checks that limit only when ``request.body`` or a form is read; DRF's JSON parser
    reads the raw stream and would accept any size. A body sent without a Content-Length
    is never read by either (WSGI gives no stream to read), so the header is enough.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            if _is_api(request):
                return JsonResponse({"detail": TOO_LARGE}, status=413)
            return HttpResponse(TOO_LARGE, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def swagger_ui_view() -> Callable[..., HttpResponseBase]:
    """Swagger UI under the CSP: its start-up script is a separate file (the "split" view),
    so scripts stay ``'self'``; its page has one inline <style> and its CSS draws icons as
    ``data:`` images, so this page alone allows those. It shows no patient data itself."""
    view = SpectacularSwaggerSplitView.as_view(url_name="schema")
    relaxed: Callable[..., HttpResponseBase] = csp_update(
        {"style-src": ["'unsafe-inline'"], "img-src": ["data:"]}
    )(view)
    return relaxed
