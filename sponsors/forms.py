"""The back office's login form: the phone in any accepted format, the password, and the SMS code
that repeated failures on the account make necessary (the same step-up as `POST /auth/token`)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.views.decorators.debug import sensitive_variables
from unfold.forms import AuthenticationForm
from unfold.widgets import BASE_INPUT_CLASSES

from core.exceptions import DomainError
from core.messages import message
from core.phones import normalize_phone_or_none
from core.ratelimit import FailureLimit, client_address
from sponsors import services

# Failed admin logins per client address (THROTTLE_ADMIN_LOGIN); the site refuses that address's
# logins until its window ends (config.admin_site).
ADMIN_LOGIN_LIMIT = FailureLimit("admin_login", "THROTTLE_ADMIN_LOGIN")
lazy_message = lazy(message, str)


class StaffLoginForm(AuthenticationForm):
    """The admin's login form (unfold's, so styled like the rest of the back office) with the code."""

    code = forms.CharField(
        label=lazy_message("login_code_label"),
        required=False,
        max_length=6,
        help_text=lazy_message("login_code_help"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": " ".join(BASE_INPUT_CLASSES)}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = lazy_message("login_phone_label")

    @sensitive_variables("password", "code")
    def clean(self):
        phone = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("code") or None
        if phone is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = services.user_login(
                phone=normalize_phone_or_none(phone), password=password, code=code, request=self.request
            )
        except DomainError as exc:
            if exc.code != "otp_required":  # a wrong password or code: a guess
                ADMIN_LOGIN_LIMIT.record(client_address(self.request))
            if exc.code == "invalid_credentials":
                raise self.get_invalid_login_error() from exc
            if exc.code == "otp_required":
                raise ValidationError(str(exc.detail), code=exc.code) from exc
            self.add_error("code", ValidationError(str(exc.detail), code=exc.code))
            return self.cleaned_data
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
