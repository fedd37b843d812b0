"""What every editable page of the back office shares: pressing Save with nothing changed writes
nothing (no `updated_at` bump, no history entry, no audit row) and says so."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext


class SaveOnlyChangesMixin:
    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            obj._nothing_changed = True
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change and not form.has_changed() and not any(formset.has_changed() for formset in formsets):
            return
        super().save_related(request, form, formsets, change)

    def log_change(self, request, obj, message):
        if getattr(obj, "_nothing_changed", False) or not message:
            return None  # Django would log "No fields changed."
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(obj, "_nothing_changed", False):
            self.message_user(request, gettext("Nothing was changed."), messages.INFO)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)
