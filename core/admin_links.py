"""Links between back-office pages that never lead a role into a 403 (CONVENTIONS.md "Back office"):
a link is made only when the viewer may open its target, else the caller shows plain text."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import NoReverseMatch, reverse


def _model_admin(model):
    return admin.site._registry.get(model)


def may_view(request, model) -> bool:
    """Whether the viewer may open `model`'s pages in the admin (its list and its objects)."""
    model_admin = _model_admin(model)
    return model_admin is not None and model_admin.has_view_or_change_permission(request)


def change_url(request, model, pk) -> str | None:
    """The admin page of one object of `model`, if the viewer may open it."""
    if not may_view(request, model):
        return None
    opts = model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


def changelist_url(request, model, **params) -> str | None:
    """The admin list of `model` filtered by `params`, if the viewer may open it."""
    if not may_view(request, model):
        return None
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url
