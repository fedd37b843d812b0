from django.apps import AppConfig


class SeedsConfig(AppConfig):
    """Reference and demo data (files beside this module) and the `seed` command that loads them."""

    name = "seeds"
    verbose_name = "Seed data"
