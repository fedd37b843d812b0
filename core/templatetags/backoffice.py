"""Template helpers of the back office: links only to pages the viewer may open, money and months."""

from django import template

from core import format as formatting
from core.admin_links import object_link

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_object_link(context, obj, text=None):
    return object_link(obj, text, user=context["request"].user)


@register.filter
def rupiah(amount):
    return formatting.rupiah(amount)


@register.filter
def month_label(month):
    return formatting.month_label(month)
