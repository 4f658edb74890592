"""The ceilings every measured target is compared with, in the same run (issue #8).

- C1: a Django view with no middleware, returning constant JSON bytes (served by
  ``bench.wsgi``'s bare handler);
- C2: the same view through the production middleware stack;
- C4: a DRF view, token-authenticated like the API, returning a constant body.

Only ``config.settings.bench`` routes here; production URLs never include these.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.auth import TokenAuthentication

BODY = b'{"status":"ok","service":"mitra","version":1}'
CONSTANT = {"status": "ok", "service": "mitra", "version": 1}


def constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")


class ConstantAPIView(APIView):
    """DRF's whole request cycle (token authentication, permission, throttles, renderer)."""

    authentication_classes = [TokenAuthentication]

    def get(self, request: Request) -> Response:
        return Response(CONSTANT)


urlpatterns = [
    path("bench/c1/", constant),
    path("bench/c2/", constant),
    path("bench/c4/", ConstantAPIView.as_view()),
    path("", include("config.urls")),
]
