from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api import views as core_views

api_v1 = [
    path("", include("sponsors.api.urls")),
    path("", include("registration.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("contributions.api.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    # Anything else under /api/v1/ answers the API's 404 shape, whatever DEBUG says.
    re_path(r"^api/v1/", core_views.not_found),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # drf-spectacular's ReDoc page, without its Google Fonts links (core/templates/core/redoc.html).
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"), name="redoc"),
    path("admin/", admin.site.urls),
    # The back office's language switcher posts here (Django's set_language: a cookie, then a redirect).
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = "core.api.views.not_found"
handler500 = "core.api.views.server_error"
