from django.urls import path

from journals import views

urlpatterns = [
    path("today/", views.today, name="today"),
    path("checkin/evening/", views.evening_checkin, name="checkin-evening"),
    path("checkin/morning/", views.morning_diary, name="checkin-morning"),
    path("history/", views.history, name="history"),
    path("history/<str:kind>/<uuid:entry_id>/edit/", views.entry_edit, name="entry-edit"),
    path("history/<str:kind>/<uuid:entry_id>/delete/", views.entry_delete, name="entry-delete"),
    path("trends/", views.trends, name="trends"),
]
