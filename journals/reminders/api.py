"""The patient's reminder settings endpoint."""

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import PatientAPIView
from journals.models import (
    ReminderSettings,
)
from journals.reminders import services
from journals.serializers import (
    ReminderSettingsSerializer,
)


@extend_schema(tags=["reminders"])
class ReminderSettingsView(PatientAPIView):
    """When the patient wants reminders: local times in their own zone (the settings page
    edits the same)."""

    serializer_class = ReminderSettingsSerializer
    queryset = ReminderSettings.objects.none()

    def scoped_queryset(self) -> QuerySet[ReminderSettings]:
        return ReminderSettings.objects.filter(patient=self.user)

    @extend_schema(summary="My reminder settings")
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(services.reminder_settings_get(patient=self.user)).data)

    @extend_schema(summary="Replace my reminder settings")
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    @extend_schema(summary="Change some of my reminder settings")
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        current = services.reminder_settings_get(patient=self.user)
        serializer = self.get_serializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        updated = services.reminder_settings_update(
            patient=self.user, data=dict(serializer.validated_data)
        )
        return Response(self.get_serializer(updated).data)
