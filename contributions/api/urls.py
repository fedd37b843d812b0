from django.urls import path

from contributions.api import views

urlpatterns = [
    path("income-levels", views.IncomeLevelListView.as_view(), name="income-levels"),
    path("quotes", views.QuoteView.as_view(), name="quotes"),
]
