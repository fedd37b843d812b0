"""The back office's admin site. Its login is throttled without lockouts (QUALITY.md "Security" 11):

- per client address, failed logins are limited (THROTTLE_ADMIN_LOGIN); past the limit the address
  gets the login page with the reason, as a 429 with Retry-After, until the window ends;
- per account, failures never refuse the right password; after LOGIN_STEP_UP_AFTER of them the login
  also needs the code sent by SMS to the account's phone (sponsors.forms, sponsors.services.user_login).
"""

from math import ceil

from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.sites import UnfoldAdminSite

from core.messages import message
from core.ratelimit import client_address
from sponsors.forms import ADMIN_LOGIN_LIMIT, StaffLoginForm


class BackOfficeSite(UnfoldAdminSite):
    login_form = StaffLoginForm
    site_header = "BPU Sertakan"
    site_title = "BPU Sertakan"
    index_title = gettext_lazy("Home")
    # Each role's own numbers and charts first (config.dashboard), then the models it may open.
    index_template = "admin/home.html"
    login_template = "admin/staff_login.html"

    def login(self, request, extra_context=None):
        if request.method == "POST":
            wait = ADMIN_LOGIN_LIMIT.wait(client_address(request))
            if wait is not None:
                return self._login_refused(request, wait)
        return super().login(request, extra_context)

    def _login_refused(self, request, wait: int) -> TemplateResponse:
        """The login page, styled as ever, saying why and for how long; no password is checked."""
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            "form": self.login_form(request),
            "next": request.POST.get("next", ""),
            "throttled": message("admin_login_throttled", minutes=max(1, ceil(wait / 60))),
        }
        request.current_app = self.name
        response = TemplateResponse(request, self.login_template, context, status=429)
        response["Retry-After"] = str(wait)
        return response
