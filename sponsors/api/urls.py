from django.urls import path

from sponsors.api import openapi  # noqa: F401  (documents the views below in the OpenAPI schema)
from sponsors.api import views

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    path("auth/verify-phone", views.VerifyPhoneView.as_view(), name="auth-verify-phone"),
    path("auth/resend-code", views.ResendCodeView.as_view(), name="auth-resend-code"),
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/devices", views.DeviceView.as_view(), name="me-devices"),
]
