from django.contrib import admin

from contributions.models import ContributionRate


@admin.register(ContributionRate)
class ContributionRateAdmin(admin.ModelAdmin):
    """Rates are edited here; `clean()` refuses periods that overlap for the same kind and sector."""

    list_display = ["regulation", "kind", "sector", "valid_from", "valid_to", "jkk_percent", "jkm_amount", "jht_percent"]
    list_filter = ["kind", "sector"]

    def has_delete_permission(self, request, obj=None):
        return False
