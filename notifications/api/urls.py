from django.urls import path

from notifications.api import openapi  # noqa: F401  (documents the views below in the OpenAPI schema)
from notifications.api import views

urlpatterns = [
    path("notifications", views.InboxListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read", views.InboxReadView.as_view(), name="notification-read"),
]
