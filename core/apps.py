from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from core.admin_links import install_permitted_links

        # A read-only foreign key on an admin page links to the related object only for who may open it.
        install_permitted_links()
