from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """The admin, with the back office's site (its login is throttled: config.admin_site)."""

    default_site = "config.admin_site.BackOfficeSite"
