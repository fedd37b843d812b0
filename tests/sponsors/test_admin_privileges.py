"""No self-promotion in the back office (QUALITY.md, Security 10).

Each staff group logs in through the real admin login page and tries to give itself (or anyone)
superuser or staff status, groups, permissions or a password, and to edit groups: nothing changes and
nothing is logged. A superuser makes the same changes, and each one is in the audit log with its actor,
its target and what changed.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from core.models import AuditLog
from sponsors import services
from sponsors.models import User
from tests.factories import PASSWORD, UserFactory, staff_in

pytestmark = pytest.mark.django_db

USERS = "/admin/sponsors/user/"
GROUPS = "/admin/auth/group/"
GROUP_NAMES = ["reviewer", "finance", "admin"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Admin pages link their CSS through the staticfiles storage; a manifest storage (whitenoise)
    needs `collectstatic` first, which tests do not run."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def change_url(user: User) -> str:
    return f"{USERS}{user.pk}/change/"


def log_in(client, user: User):
    """Through the admin's own login form, as a browser does."""
    response = client.post("/admin/login/?next=/admin/", {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/", response.content[:500]
    return client


def promotion(user: User, **extra) -> dict:
    """The change form of `user` as a superuser's page would post it, making them an all-powerful superuser."""
    return {
        "phone": user.phone,
        "full_name": user.full_name,
        "email": user.email,
        "language": user.language,
        **{name: "on" for name in ("remind_by_sms", "remind_by_whatsapp", "remind_by_push") if getattr(user, name)},
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(pk) for pk in Group.objects.values_list("pk", flat=True)],
        "user_permissions": [str(pk) for pk in Permission.objects.values_list("pk", flat=True)[:50]],
        "password": "pbkdf2_sha256$1$x$y",
        **extra,
    }


def privileges(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.is_staff,
        user.is_superuser,
        user.password,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


def group_state() -> dict:
    return {g.name: sorted(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}


@pytest.fixture
def superuser() -> User:
    return UserFactory(is_staff=True, is_superuser=True)


# --- each group tries ---------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUP_NAMES)
def test_no_group_can_make_itself_a_superuser(client, group):
    me = staff_in(group)
    log_in(client, me)
    before = privileges(me)

    response = client.post(change_url(me), promotion(me))
    assert response.status_code == 403
    password_form = client.post(f"{USERS}{me.pk}/password/", {"password1": "Baru#2026-x", "password2": "Baru#2026-x"})
    assert password_form.status_code == 403

    assert privileges(me) == before
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("group", GROUP_NAMES)
def test_no_group_can_promote_another_account(client, group):
    log_in(client, staff_in(group))
    sponsor = UserFactory(full_name="Budi Santoso")
    colleague = staff_in("reviewer")
    before = {sponsor.pk: privileges(sponsor), colleague.pk: privileges(colleague)}

    for target in (sponsor, colleague):
        response = client.post(change_url(target), promotion(target, full_name="Budi Diganti"))
        # The admin group edits a sponsor's profile; the crafted fields are simply not in its form.
        assert response.status_code in (302, 403)
        new_password = {"password1": "Baru#2026-x", "password2": "Baru#2026-x"}
        assert client.post(f"{USERS}{target.pk}/password/", new_password).status_code == 403

    assert {sponsor.pk: privileges(sponsor), colleague.pk: privileges(colleague)} == before
    colleague.refresh_from_db()
    assert colleague.full_name != "Budi Diganti"  # a staff account is read-only to a non-superuser
    assert not AuditLog.objects.filter(action__startswith="account_", detail__contains="is_").exists()


def test_the_admin_group_edits_a_sponsor_profile_and_that_is_all(client):
    admin = staff_in("admin")
    log_in(client, admin)
    sponsor = UserFactory(full_name="Budi Santoso")
    before = privileges(sponsor)

    response = client.post(change_url(sponsor), promotion(sponsor, full_name="Budi Santosa"))

    assert response.status_code == 302
    sponsor.refresh_from_db()
    assert sponsor.full_name == "Budi Santosa"
    assert privileges(sponsor) == before
    log = AuditLog.objects.get()
    assert (log.actor, log.action, log.object_type) == (admin, "account_change", "sponsors.user")
    assert log.object_id == str(sponsor.pk)
    assert log.detail == "full_name changed"


@pytest.mark.parametrize("group", GROUP_NAMES)
def test_no_group_can_edit_groups_or_their_permissions(client, group):
    log_in(client, staff_in(group))
    before = group_state()
    every_permission = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]

    for name, group_obj in Group.objects.in_bulk(field_name="name").items():
        response = client.post(f"{GROUPS}{group_obj.pk}/change/", {"name": name, "permissions": every_permission})
        assert response.status_code == 403
        assert client.post(f"{GROUPS}{group_obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{GROUPS}add/", {"name": "mine", "permissions": every_permission}).status_code == 403
    every_group = [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
    bulk_delete = {"action": "delete_selected", "_selected_action": every_group, "post": "yes"}
    assert client.post(GROUPS, bulk_delete).status_code == 403
    # Permissions themselves have no admin page at all.
    assert client.get("/admin/auth/permission/").status_code == 404

    assert group_state() == before
    assert not AuditLog.objects.exists()


def test_the_admin_group_sees_no_privilege_fields(client):
    admin = staff_in("admin")
    log_in(client, admin)
    sponsor = UserFactory()
    colleague = staff_in("finance")

    for target in (sponsor, colleague, admin):
        page = client.get(change_url(target))
        assert page.status_code == 200
        html = page.content.decode()
        for field in ("is_staff", "is_superuser", "groups", "user_permissions", "password"):
            assert f'name="{field}"' not in html, (target, field)
            assert f'field-{field}' not in html, (target, field)
        assert "pbkdf2" not in html and "algorithm" not in html
        assert ('name="_save"' in html) == (target == sponsor)  # staff accounts: read-only

    listing = client.get(USERS).content.decode()
    assert "is_staff__exact" not in listing and "groups__id__exact" not in listing


@pytest.mark.parametrize("group", ["reviewer", "finance"])
def test_reviewers_and_finance_do_not_see_accounts(client, group):
    log_in(client, staff_in(group))
    assert client.get(USERS).status_code == 403
    assert client.get(GROUPS).status_code == 403


def test_staff_groups_hold_no_permission_on_accounts_groups_or_permissions():
    for group in Group.objects.filter(name__in=GROUP_NAMES):
        held = group.permissions.select_related("content_type")
        labels = {f"{p.content_type.app_label}.{p.codename}" for p in held}
        assert not {label for label in labels if label.split(".")[0] in ("auth", "contenttypes", "admin", "sessions")}
        assert not labels & {"sponsors.add_user", "sponsors.delete_user"}, group.name


# --- a superuser does it, and the audit log says so ---------------------------------------------------


def test_a_superuser_promotes_an_account_and_it_is_audit_logged(client, superuser):
    log_in(client, superuser)
    target = UserFactory()
    admin_group = Group.objects.get(name="admin")

    response = client.post(
        change_url(target),
        promotion(target, is_superuser="", groups=[str(admin_group.pk)], user_permissions=[]),
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_staff and not target.is_superuser
    assert list(target.groups.values_list("name", flat=True)) == ["admin"]
    log = AuditLog.objects.get()
    assert (log.actor, log.action, log.object_type) == (superuser, "account_change", "sponsors.user")
    assert log.object_id == str(target.pk)
    assert "is_staff: False → True" in log.detail
    assert "groups: +admin" in log.detail
    assert "is_superuser" not in log.detail and "password" not in log.detail

    # Then superuser status, and a group taken away.
    client.post(change_url(target), promotion(target, groups=[], user_permissions=[]))
    log = AuditLog.objects.latest("id")
    assert (log.actor, log.action, log.object_id) == (superuser, "account_change", str(target.pk))
    assert "is_superuser: False → True" in log.detail and "groups: −admin" in log.detail


def test_a_password_set_by_a_superuser_is_audit_logged_without_the_hash(client, superuser):
    log_in(client, superuser)
    target = staff_in("reviewer")

    response = client.post(
        f"{USERS}{target.pk}/password/",
        {"password1": "Baru#2026-sertakan", "password2": "Baru#2026-sertakan", "set_usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:1000]
    target.refresh_from_db()
    assert target.check_password("Baru#2026-sertakan")
    log = AuditLog.objects.get()
    assert (log.actor, log.action, log.object_id) == (superuser, "account_change", str(target.pk))
    assert log.detail == "password changed"


def test_a_new_account_from_the_admin_is_audit_logged(client, superuser):
    log_in(client, superuser)

    response = client.post(
        f"{USERS}add/",
        {"phone": "+6281299887766", "full_name": "Sari Staf", "password1": "Baru#2026-sertakan",
         "password2": "Baru#2026-sertakan"},
    )

    assert response.status_code == 302, response.content[:1000]
    made = User.objects.get(phone="+6281299887766")
    log = AuditLog.objects.get()
    assert (log.actor, log.action, log.object_id) == (superuser, "account_create", str(made.pk))
    assert log.detail == "is_staff: False; is_superuser: False"


def test_group_changes_by_a_superuser_are_audit_logged(client, superuser):
    log_in(client, superuser)
    reviewer = Group.objects.get(name="reviewer")
    add_user = Permission.objects.get(content_type__app_label="sponsors", codename="add_user")
    kept = [str(pk) for pk in reviewer.permissions.values_list("pk", flat=True)]

    response = client.post(f"{GROUPS}{reviewer.pk}/change/", {"name": "reviewer", "permissions": [*kept, str(add_user.pk)]})
    assert response.status_code == 302
    assert reviewer.permissions.filter(pk=add_user.pk).exists()
    changed = AuditLog.objects.get()
    assert (changed.actor, changed.action, changed.object_type) == (superuser, "group_change", "auth.group")
    assert changed.object_id == str(reviewer.pk)
    assert changed.detail == "permissions: +sponsors.add_user"

    assert client.post(f"{GROUPS}add/", {"name": "auditor", "permissions": [str(add_user.pk)]}).status_code == 302
    auditor = Group.objects.get(name="auditor")
    created = AuditLog.objects.get(action="group_create")
    assert (created.actor, created.object_id) == (superuser, str(auditor.pk))
    assert created.detail == "name: None → auditor; permissions: +sponsors.add_user"

    assert client.post(f"{GROUPS}{auditor.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Group.objects.filter(name="auditor").exists()
    deleted = AuditLog.objects.get(action="group_delete")
    assert (deleted.actor, deleted.object_id) == (superuser, str(auditor.pk))
    assert "auditor" in deleted.detail and "sponsors.add_user" in deleted.detail


# --- the last line: the service refuses what a form let through ---------------------------------------


def test_a_privilege_change_by_a_non_superuser_is_refused_by_the_service():
    admin = staff_in("admin")
    sponsor = UserFactory()
    before = services.account_snapshot(sponsor)
    sponsor.is_superuser = True
    sponsor.save()

    with pytest.raises(PermissionDenied):
        services.account_change_record(actor=admin, account=sponsor, before=before)
    with pytest.raises(PermissionDenied):
        services.group_change_record(actor=admin, group=Group.objects.get(name="admin"), before=None)
    assert not AuditLog.objects.exists()
