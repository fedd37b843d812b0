"""The back office's home page (unfold's DASHBOARD_CALLBACK): each role's own work first.

The role is the staff group (registration/migrations/0004_staff_groups.py, contributions/migrations/
0003_finance_group.py): `reviewer` sees the review queue, `finance` the money, `admin` (and superusers)
members over time and what reminders achieve. Someone in several groups sees each of their sections.
Links go only to pages the user may open.
"""

import json

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contributions import dashboard as money
from contributions.choices import Gateway, ReminderChannel, ReminderKind
from contributions.gateways.methods import METHODS
from core.format import month_label, rupiah, waiting_since
from registration import dashboard as members
from registration.choices import ReviewFlag

REVIEWER, FINANCE, ADMIN = "reviewer", "finance", "admin"

# A chart's axis has room for a few words only.
FLAG_SHORT = {
    ReviewFlag.PHONE_SHARED: gettext_lazy("Phone shared"),
    ReviewFlag.SPONSOR_BURST: gettext_lazy("Many in 24 h"),
    ReviewFlag.REGISTRY_MISMATCH: gettext_lazy("Registry mismatch"),
    ReviewFlag.REGISTRY_UNAVAILABLE: gettext_lazy("Registry unreachable"),
    ReviewFlag.REVIEW_ALL: gettext_lazy("Review mode"),
    ReviewFlag.MEMBER_PHONE_CHANGED: gettext_lazy("Phone changed"),
}

# Chart colours: unfold's primary, and two that read apart from it.
PRIMARY, GREEN, AMBER, RED, GREY = "#9333ea", "#16a34a", "#d97706", "#dc2626", "#94a3b8"


def roles_of(user) -> list[str]:
    if user.is_superuser:
        return [ADMIN]
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in (REVIEWER, FINANCE, ADMIN) if role in names]


def _link(user, perm: str, url_name: str, query: str = "", args=None) -> str | None:
    """The URL if the user may open that page, else None (no link leads to a 403)."""
    if not user.has_perm(perm):
        return None
    return reverse(url_name, args=args) + (f"?{query}" if query else "")


def _chart(labels, datasets, *, horizontal: bool = False, legend: bool = True) -> dict:
    """Data and options for unfold's chart components (its vendored Chart.js reads them)."""
    value_axis = "x" if horizontal else "y"
    options = {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "indexAxis": "y" if horizontal else "x",
        "datasets": {"bar": {"borderRadius": 4, "maxBarThickness": 28}, "line": {"borderWidth": 2, "tension": 0.25}},
        "plugins": {"legend": {"display": legend, "position": "top", "align": "end",
                               "labels": {"usePointStyle": True, "boxWidth": 6, "boxHeight": 6}}},
        "scales": {value_axis: {"beginAtZero": True, "ticks": {"precision": 0}},
                   ("y" if horizontal else "x"): {"grid": {"display": False}}},
    }
    for dataset in datasets:
        dataset["label"] = str(dataset["label"])
    return {
        "data": json.dumps({"labels": [str(label) for label in labels], "datasets": datasets}),
        "options": json.dumps(options),
    }


def reviewer_section(user) -> dict:
    figures = members.review_queue_figures(user=user)
    per_day = members.decisions_per_day()
    queue_url = _link(user, "registration.view_enrollment", "admin:registration_enrollment_changelist",
                      "status__exact=pending_review")
    oldest_url = (_link(user, "registration.view_enrollment", "admin:registration_enrollment_change",
                        args=[figures["oldest_id"]]) if figures["oldest_id"] else None)
    return {
        "role": REVIEWER,
        "title": _("Review queue"),
        "cards": [
            {"title": _("Waiting for review"), "value": figures["size"],
             "footer": _("enrollments, oldest first"), "href": queue_url},
            {"title": _("Oldest waiting"), "value": waiting_since(figures["oldest"]) if figures["oldest"] else "—",
             "footer": _("open the oldest enrollment") if oldest_url else "", "href": oldest_url},
            {"title": _("Decided today"), "value": figures["decided_today"],
             "footer": _("%(approved)s approved, %(mine)s by you") % {
                 "approved": figures["approved_today"], "mine": figures["decided_today_by_me"]}},
        ],
        "charts": [
            {"title": _("Flags in the queue"), "type": "bar",
             **_chart([FLAG_SHORT.get(flag, flag.label) for flag, _n in figures["flags"]],
                      [{"label": _("Enrollments"), "data": [n for _flag, n in figures["flags"]],
                        "backgroundColor": PRIMARY}],
                      horizontal=True, legend=False)},
            {"title": _("Decisions per day (14 days)"), "type": "bar",
             **_chart([day.strftime("%d/%m") for day, _a, _r in per_day],
                      [{"label": _("Approved"), "data": [a for _d, a, _r in per_day], "backgroundColor": GREEN},
                       {"label": _("Rejected"), "data": [r for _d, _a, r in per_day], "backgroundColor": RED}])},
        ],
    }


def finance_section(user) -> dict:
    review = money.needs_review_figures()
    collected = money.collection_figures()
    autopay = money.autopay_figures()
    review_url = _link(user, "contributions.view_invoice", "admin:contributions_invoice_changelist", "case=open")
    oldest_url = (_link(user, "contributions.view_invoice", "admin:contributions_invoice_change",
                        args=[review["oldest_id"]]) if review["oldest_id"] else None)
    payments_url = _link(user, "contributions.view_payment", "admin:contributions_payment_changelist")
    gateways = dict(Gateway.choices)
    lines = [
        [str(gateways.get(line["gateway"], line["gateway"])),
         METHODS[line["method"]].name if line["method"] in METHODS else line["method"],
         rupiah(line["today_amount"]), line["today_count"], rupiah(line["month_amount"]), line["month_count"]]
        for line in collected["lines"]
    ]
    by_method: dict[str, int] = {}
    for line in collected["lines"]:
        name = METHODS[line["method"]].name if line["method"] in METHODS else line["method"]
        by_method[name] = by_method.get(name, 0) + line["month_amount"]
    rate = autopay["success_rate"]
    return {
        "role": FINANCE,
        "title": _("Money"),
        "cards": [
            {"title": _("Collected today"), "value": rupiah(collected["today_amount"]),
             "footer": _("%(count)s payments") % {"count": collected["today_count"]}, "href": payments_url},
            {"title": _("Collected this month"), "value": rupiah(collected["month_amount"]),
             "footer": _("%(count)s payments") % {"count": collected["month_count"]}, "href": payments_url},
            {"title": _("Needs review"), "value": rupiah(review["money"] or 0),
             "footer": _("%(count)s invoices, oldest %(age)s") % {
                 "count": review["count"], "age": waiting_since(review["oldest"]) if review["oldest"] else "—"},
             "href": review_url},
            {"title": _("Oldest open case"), "value": waiting_since(review["oldest"]) if review["oldest"] else "—",
             "footer": _("open the oldest case") if oldest_url else "", "href": oldest_url},
            {"title": _("Refunds pending"), "value": review["refunds"],
             "footer": _("%(money)s to return or to credit") % {"money": rupiah(review["refund_money"] or 0)},
             "href": review_url},
            {"title": _("Autopay success this month"), "value": f"{rate}%" if rate is not None else "—",
             "footer": _("%(charged)s charged, %(failed)s failed, %(open)s open") % autopay},
        ],
        "charts": [
            {"title": _("This month by payment method"), "type": "bar",
             **_chart(list(by_method), [{"label": _("Collected (Rp)"), "data": list(by_method.values()),
                                         "backgroundColor": PRIMARY}], horizontal=True, legend=False)},
            {"title": _("Needs review by age"), "type": "bar",
             **_chart([_("under 1 day"), _("1 to 7 days"), _("over 7 days")],
                      [{"label": _("Invoices"), "backgroundColor": [GREEN, AMBER, RED],
                        "data": [review["under_1_day"], review["under_7_days"], review["older"]]}], legend=False)},
        ],
        "table": {
            "title": _("Collections by gateway and method"),
            "headers": [_("Gateway"), _("Method"), _("Today"), _("Payments today"), _("This month"),
                        _("Payments this month")],
            "rows": lines,
        },
    }


def admin_section(user) -> dict:
    figures = members.membership_figures()
    conversion = money.reminder_conversion()
    labels = [month_label(month) for month in figures["months"]]
    mix = figures["mix"]
    kinds, channels = dict(ReminderKind.choices), dict(ReminderChannel.choices)
    members_url = _link(user, "registration.view_member", "admin:registration_member_changelist")
    return {
        "role": ADMIN,
        "title": _("Members and coverage"),
        "cards": [
            {"title": _("Covered this month"), "value": figures["active"][-1], "footer": _("members"),
             "href": members_url},
            {"title": _("New enrollments this month"), "value": figures["enrollments"][-1],
             "footer": month_label(figures["months"][-1])},
            {"title": _("Lapsed this month"), "value": figures["lapses"][-1], "footer": _("members")},
            {"title": _("In arrears"), "value": mix["arrears"], "footer": _("members, 1 to 3 months overdue")},
        ],
        "charts": [
            {"title": _("Enrollments and covered members per month"), "type": "line",
             **_chart(labels, [
                 {"label": _("New enrollments"), "data": figures["enrollments"], "borderColor": AMBER,
                  "backgroundColor": AMBER},
                 {"label": _("Covered members"), "data": figures["active"], "borderColor": PRIMARY,
                  "backgroundColor": PRIMARY},
             ])},
            {"title": _("Coverage today"), "type": "bar",
             **_chart([_("Paid up"), _("In arrears"), _("Lapsed"), _("Never paid")],
                      [{"label": _("Members"), "backgroundColor": [GREEN, AMBER, RED, GREY],
                        "data": [mix["active"], mix["arrears"], mix["lapsed"], mix["not_started"]]}], legend=False)},
            {"title": _("Lapses per month"), "type": "bar",
             **_chart(labels, [{"label": _("Members"), "data": figures["lapses"], "backgroundColor": RED}],
                      legend=False)},
        ],
        "table": {
            "title": _("Reminders followed by a payment within 7 days (last 30 days)"),
            "headers": [_("Reminder"), _("Channel"), _("Sent"), _("Paid within 7 days"), _("Conversion")],
            "rows": [[str(kinds.get(row["kind"], row["kind"])), str(channels.get(row["channel"], row["channel"])),
                      row["sent"], row["paid"], f"{row['rate']}%"] for row in conversion],
        },
    }


SECTIONS = {REVIEWER: reviewer_section, FINANCE: finance_section, ADMIN: admin_section}


def dashboard_callback(request, context):
    roles = roles_of(request.user)
    context.update(
        sections=[SECTIONS[role](request.user) for role in roles],
        generated_at=timezone.localtime(),
    )
    return context
