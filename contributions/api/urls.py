from django.urls import path

from contributions.api import openapi  # noqa: F401  (documents the views below in the OpenAPI schema)
from contributions.api import views

urlpatterns = [
    path("income-levels", views.IncomeLevelListView.as_view(), name="income-levels"),
    path("quotes", views.QuoteView.as_view(), name="quotes"),
    path("invoices", views.InvoiceListCreateView.as_view(), name="invoices"),
    path("invoices/<int:pk>", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/cancel", views.InvoiceCancelView.as_view(), name="invoice-cancel"),
    path("invoices/<int:pk>/receipt.pdf", views.InvoiceReceiptPdfView.as_view(), name="invoice-receipt-pdf"),
    path("invoices/<int:pk>/qr.png", views.InvoiceQrView.as_view(), name="invoice-qr"),
    path("payment-methods", views.PaymentMethodListView.as_view(), name="payment-methods"),
    path("payments/simulator/pay", views.SimulatorPayView.as_view(), name="simulator-pay"),
    path("payments/simulator/link", views.SimulatorLinkView.as_view(), name="simulator-link"),
    path("me/autopay", views.MeAutopayView.as_view(), name="me-autopay"),
    path(
        "payments/notifications/<str:gateway>",
        views.GatewayNotificationView.as_view(),
        name="payment-notifications",
    ),
]
