"""Links in the back office that never lead a role into a 403 (CONVENTIONS.md "Back office").

Django's read-only foreign keys link to the related object's page whatever the viewer may open. The
display methods here link only when the signed-in user may view that model in the admin, and show
the plain text otherwise. The user is the request's: `CurrentRequestMiddleware` keeps it while the
page is answered and rendered (a context variable, so each request and thread has its own). Read-only
foreign keys on change pages get the same rule (`install_permitted_links`, from CoreConfig.ready).
"""

from contextvars import ContextVar
from urllib.parse import urlencode

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

_current_request: ContextVar = ContextVar("admin_request", default=None)


def current_user():
    request = _current_request.get()
    return getattr(request, "user", None)


def may_view(user, model) -> bool:
    if user is None or model not in admin.site._registry:
        return False
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def change_url(model, pk, *, user=None) -> str | None:
    """The admin page of `model`'s object `pk` if the user may open it, else None (without loading it)."""
    user = user if user is not None else current_user()
    if pk is None or not may_view(user, model):
        return None
    opts = model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


def object_url(obj, *, user=None) -> str | None:
    """The admin page of `obj` if the user may open it, else None."""
    return None if obj is None else change_url(type(obj), obj.pk, user=user)


def object_link(obj, text=None, *, user=None) -> str:
    """`obj` (or `text`) linked to its page when the user may open it; plain text otherwise."""
    if obj is None:
        return "—"
    label = str(obj) if text is None else text
    url = object_url(obj, user=user)
    return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, label) if url else label


def changelist_url(model, query: str = "", *, user=None, **params) -> str | None:
    """The admin list of `model`, filtered by `query` (a query string) or `params`, if the user may open it."""
    query = query or urlencode(params)
    user = user if user is not None else current_user()
    if not may_view(user, model):
        return None
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + (f"?{query}" if query else "")


class CurrentRequestMiddleware:
    """Keeps the request in a context variable while it is answered (rendering included), so that
    links drawn deep inside the admin's templates know who is looking."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def permitted_admin_url(original):
    """Wraps a read-only field's `get_admin_url` (Django's and unfold's): the related object is linked
    only when the viewer may open its page, and shown as plain text otherwise."""

    def get_admin_url(self, remote_field, remote_obj):
        if not may_view(current_user(), remote_field.model):
            return str(remote_obj)
        return original(self, remote_field, remote_obj)

    get_admin_url.permitted = True
    return get_admin_url


def install_permitted_links() -> None:
    from django.contrib.admin import helpers
    from unfold import fields

    for cls in (helpers.AdminReadonlyField, fields.UnfoldAdminReadonlyField):
        if not getattr(cls.get_admin_url, "permitted", False):
            cls.get_admin_url = permitted_admin_url(cls.get_admin_url)
