"""OpenAPI generation: every operation documents the errors it can answer with."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

ERROR = OpenApiResponse(
    inline_serializer("Error", {"detail": serializers.CharField()}),
    description="The reason, in `detail`.",
)
VALIDATION_ERROR = OpenApiResponse(
    {
        "type": "object",
        "description": "Messages keyed by field name (`non_field_errors` for the whole "
        "entry; for a list field, keyed by item index), or `detail` when the body does "
        "not parse.",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "additionalProperties": {"type": "array"}},
                {"type": "string"},
            ]
        },
    },
    description="Invalid input. Nothing was stored.",
)


class MitraAutoSchema(AutoSchema):
    """Adds the error answers (400, 401, 403, 404) to what each view declares."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(
                    response, str(code), direction=direction
                )
        return dict(sorted(bodies.items()))

    def _error_responses(self) -> dict[int, OpenApiResponse]:
        errors: dict[int, OpenApiResponse] = {}
        takes_input = self.method in ("POST", "PUT", "PATCH") and bool(
            self.get_request_serializer()
        )
        filters_dates = getattr(self.view, "action", None) == "list" and hasattr(
            self.view, "journal_zone"
        )
        if takes_input or filters_dates:
            errors[400] = VALIDATION_ERROR
        if takes_input:
            errors[415] = ERROR  # a body in a media type the API does not read
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors[401] = ERROR
        if getattr(self.view, "role_permission", IsAuthenticated) is not IsAuthenticated:
            errors[403] = ERROR
        paginated = self._is_list_view() and bool(getattr(self.view, "pagination_class", None))
        if "{" in self.path or paginated:  # a list's page past the end is 404 too
            errors[404] = ERROR
        return errors
