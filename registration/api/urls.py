from django.urls import path

from registration.api import openapi  # noqa: F401  (documents the views below in the OpenAPI schema)
from registration.api import views

urlpatterns = [
    path("occupations", views.OccupationListView.as_view(), name="occupations"),
    path("workers", views.WorkerListCreateView.as_view(), name="workers"),
    path("workers/<int:pk>", views.WorkerDetailView.as_view(), name="worker-detail"),
    path("workers/<int:pk>/consent", views.WorkerConsentView.as_view(), name="worker-consent"),
    path(
        "workers/<int:pk>/resend-consent-code",
        views.WorkerResendConsentCodeView.as_view(),
        name="worker-resend-consent-code",
    ),
    path("workers/<int:pk>/end", views.WorkerEndView.as_view(), name="worker-end"),
    path("me/sponsorships", views.SponsorshipListView.as_view(), name="me-sponsorships"),
    path(
        "me/sponsorships/<int:pk>/withdraw",
        views.SponsorshipWithdrawView.as_view(),
        name="me-sponsorship-withdraw",
    ),
    path("workers/<int:pk>/card", views.WorkerCardView.as_view(), name="worker-card"),
    path("workers/<int:pk>/card.pdf", views.WorkerCardPdfView.as_view(), name="worker-card-pdf"),
    path("workers/<int:pk>/card.png", views.WorkerCardPngView.as_view(), name="worker-card-png"),
    path("workers/<int:pk>/benefits", views.WorkerBenefitsView.as_view(), name="worker-benefits"),
    path("verify/<str:code>", views.CardVerifyView.as_view(), name="card-verify"),
]
