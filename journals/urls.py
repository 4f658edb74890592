from django.urls import path

from journals.views import history, today, trends

urlpatterns = [
    path("today/", today.today, name="today"),
    path("checkin/evening/", today.evening_checkin, name="checkin-evening"),
    path("checkin/morning/", today.morning_diary, name="checkin-morning"),
    path("history/", history.history, name="history"),
    path("history/<str:kind>/<uuid:entry_id>/edit/", history.entry_edit, name="entry-edit"),
    path("history/<str:kind>/<uuid:entry_id>/delete/", history.entry_delete, name="entry-delete"),
    path("trends/", trends.trends, name="trends"),
]
