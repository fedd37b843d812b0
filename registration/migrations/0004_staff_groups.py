"""Back-office groups with least privilege: `reviewer` works the review queue, `admin` also manages
reference data and may reveal a full NIK. (`finance` comes with the contributions app.)"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER = [
    "registration.view_enrollment",
    "registration.change_enrollment",
    "registration.view_occupation",
    "registration.view_incomelevel",
    "core.view_auditlog",
]
ADMIN = REVIEWER + [
    "registration.reveal_nik",
    "registration.add_occupation",
    "registration.change_occupation",
    "registration.add_incomelevel",
    "registration.change_incomelevel",
    "sponsors.view_user",
    "sponsors.change_user",
    "sponsors.view_device",
    "notifications.view_message",
    "notifications.view_inboxitem",
]
GROUPS = {"reviewer": REVIEWER, "admin": ADMIN}


def _permissions(apps, names):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, perms))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0003_consent_demo_method"),
        ("core", "0002_initial"),
        ("sponsors", "0001_initial"),
        ("notifications", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
