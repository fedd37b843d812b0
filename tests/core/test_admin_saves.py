"""Pressing Save on a back-office page with nothing changed writes nothing (issue 24): no `updated_at`
bump, no history entry, no audit row; a real change is still saved and recorded."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group

from contributions.models import ContributionRate
from core.models import AuditLog
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def form_data(response) -> dict:
    """What the change form would post back untouched."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif isinstance(value, (datetime.date, datetime.datetime)):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def test_an_unchanged_rate_is_not_saved_and_a_changed_one_is(client):
    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name="admin"))
    client.force_login(admin)
    rate = ContributionRate.objects.get(regulation="PP 44/2015")
    url = f"/admin/contributions/contributionrate/{rate.pk}/change/"
    before = ContributionRate.objects.filter(pk=rate.pk).values("updated_at").get()

    unchanged = client.post(url, form_data(client.get(url)), follow=True)

    assert unchanged.status_code == 200
    assert ContributionRate.objects.filter(pk=rate.pk).values("updated_at").get() == before
    assert not LogEntry.objects.exists()
    assert [str(m) for m in unchanged.context["messages"]] == ["Tidak ada yang diubah."]

    data = form_data(client.get(url))
    data["source"] = "Lampiran PP 44/2015"
    client.post(url, data)
    assert ContributionRate.objects.get(pk=rate.pk).source == "Lampiran PP 44/2015"
    assert LogEntry.objects.count() == 1


def test_an_unchanged_account_writes_no_audit_row(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    sponsor = UserFactory(full_name="Budi Santoso")
    url = f"/admin/sponsors/user/{sponsor.pk}/change/"

    client.post(url, form_data(client.get(url)))
    assert not AuditLog.objects.exists()

    data = form_data(client.get(url))
    data["full_name"] = "Budi Santoso Putra"
    client.post(url, data)
    assert AuditLog.objects.filter(action="account_change", object_id=str(sponsor.pk)).count() == 1
