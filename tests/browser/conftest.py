"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium; Playwright's own browser
download does not work here, `.ci/run` installs the package when missing) against pytest-django's live
server on PostgreSQL (CONVENTIONS.md "Back office").

Screenshots of every page visited (1440 x 900, full page) go to BROWSER_SCREENSHOTS when it is set,
else to the test's temporary directory, for people to look at.
"""

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser
# steps are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1440, "height": 900}

# Codes that must never reach a page as text (their labels must).
RAW_CODES = re.compile(
    r"\b(sponsor_burst|phone_shared|registry_mismatch|registry_unavailable|review_all|member_phone_changed|"
    r"pending_review|awaiting_consent|needs_review|nik_reveal|enrollment_approve|enrollment_reject|"
    r"invoice_refund|household_helper|non_transport|sms_otp)\b"
)


def _english_texts() -> set[str]:
    """English texts our catalog translates to something else: none may show under Indonesian."""
    text = (Path(django_settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po").read_text()
    found = set()
    for english, indonesian in re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.M):
        if english != indonesian and "%" not in english and "{" not in english and (
            " " in english or (english[0].isupper() and len(english) >= 5)
        ):
            found.add(english.replace('\\"', '"'))
    # Django's and unfold's own texts a page would show untranslated.
    found |= {"Filters", "Log out", "Select all", "Search", "Change password", "Home", "History"}
    return found


ENGLISH_TEXTS = _english_texts()


def _restore_staff_groups() -> None:
    """The staff groups come from data migrations; a transactional test's flush removes them."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if Group.objects.filter(name__in=["reviewer", "finance", "admin"]).count() == 3:
        return
    state_apps = MigrationExecutor(connection).loader.project_state().apps
    importlib.import_module("registration.migrations.0004_staff_groups").create_groups(state_apps, None)
    importlib.import_module("contributions.migrations.0003_finance_group").grant(state_apps, None)
    importlib.import_module("registration.migrations.0013_member_permissions").grant(state_apps, None)


@pytest.fixture
def staff_groups(transactional_db):
    _restore_staff_groups()


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The live server serves static files from the apps (no collectstatic in tests), so no manifest.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium (.ci/run does it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    where = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


class Walk:
    """One staff member's browser: every page it opens is checked (no 403, no raw code, no English text
    under Indonesian, nothing from another host) and photographed."""

    def __init__(self, browser, live_server, screenshots: Path, name: str):
        self.base = live_server.url
        self.context = browser.new_context(viewport=VIEWPORT, locale="id-ID")
        self.page = self.context.new_page()
        self.page.set_default_timeout(90_000)  # the machines are small and shared
        self.name = name
        self.screenshots = screenshots
        self.shots: list[Path] = []
        self.elsewhere: list[str] = []
        self.refused: list[str] = []
        self.page.on("request", self._request)
        self.page.on("response", self._response)

    def _request(self, request):
        if not request.url.startswith(self.base) and not request.url.startswith(("data:", "blob:")):
            self.elsewhere.append(request.url)

    def _response(self, response):
        if response.status == 403:
            self.refused.append(response.url)

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        assert response.status == 200, (path, response.status)
        return self.check()

    def check(self, *, language: str = "id") -> str:
        """Checks the page shown now and photographs it; returns its visible text."""
        self.page.wait_for_load_state("load")
        text = self.page.inner_text("body")
        where = self.page.url
        assert not self.refused, f"403 on {self.refused}"
        assert not self.elsewhere, f"{where} loaded from another host: {self.elsewhere}"
        raw = RAW_CODES.findall(text)
        assert not raw, f"{where} shows raw codes: {raw}"
        if language == "id":
            english = sorted(t for t in ENGLISH_TEXTS if re.search(rf"(?<![\w]){re.escape(t)}(?![\w])", text))
            assert not english, f"{where} shows untranslated English: {english}"
        shot = self.screenshots / f"{self.name}-{len(self.shots) + 1:02d}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)
        return text

    def log_in(self, phone: str, password: str) -> str:
        self.page.goto(self.base + "/admin/login/")
        self.check()
        self.page.fill("input[name=username]", phone)
        self.page.fill("input[name=password]", password)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_url(self.base + "/admin/")
        return self.check()

    def close(self):
        self.context.close()


@pytest.fixture
def walk(browser, live_server, screenshots):
    opened = []

    def start(name: str) -> Walk:
        opened.append(Walk(browser, live_server, screenshots, name))
        return opened[-1]

    yield start
    for one in opened:
        one.close()
