"""The translations behind "one language per answer" (issue 25): every error message Django REST
framework and simplejwt can write has an Indonesian text, and the project's own catalog (locale/) is
compiled as committed, so running, testing and the image need no gettext."""

import ast
import gettext
import inspect
import re
from pathlib import Path

import pytest
import rest_framework_simplejwt
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from rest_framework import exceptions, fields, pagination, relations, serializers, validators

LOCALE = Path(settings.BASE_DIR) / "locale"


def drf_error_messages() -> dict[str, Promise]:
    """Every error text of DRF's fields, serializers, exceptions, pagination and validators."""
    found: dict[str, Promise] = {}
    for module in (fields, relations, serializers):
        for cls in vars(module).values():
            if inspect.isclass(cls) and issubclass(cls, fields.Field):
                for klass in cls.__mro__:
                    for key, text in vars(klass).get("default_error_messages", {}).items():
                        found[f"{klass.__name__}.{key}"] = text
    for cls in vars(exceptions).values():
        if inspect.isclass(cls) and issubclass(cls, exceptions.APIException):
            found[cls.__name__] = cls.default_detail
    found["Throttled.extra_detail_singular"] = exceptions.Throttled.extra_detail_singular
    found["Throttled.extra_detail_plural"] = exceptions.Throttled.extra_detail_plural
    found["PageNumberPagination"] = pagination.PageNumberPagination.invalid_page_message
    found["CursorPagination"] = pagination.CursorPagination.invalid_cursor_message
    for cls in vars(validators).values():
        if inspect.isclass(cls) and isinstance(getattr(cls, "message", None), (str, Promise)):
            found[cls.__name__] = cls.message
    return found


def simplejwt_messages() -> list[str]:
    """The texts simplejwt raises (`_("…")` in its request-handling modules; not its admin labels)."""
    root = Path(rest_framework_simplejwt.__file__).parent
    texts = []
    for name in ("authentication.py", "backends.py", "exceptions.py", "serializers.py", "tokens.py", "views.py"):
        texts += re.findall(r'\b_\(\s*"((?:[^"\\]|\\.)*)"', (root / name).read_text())
    return sorted(set(texts))


def in_language(text, language: str) -> str:
    with translation.override(language):
        return str(text)


@pytest.mark.parametrize("where, text", sorted(drf_error_messages().items()), ids=sorted(drf_error_messages()))
def test_every_drf_error_message_has_an_indonesian_text(where, text):
    english = in_language(text, "en")
    indonesian = in_language(text, "id")
    assert indonesian != english, f"{where}: {english!r} has no Indonesian text"


def test_simplejwt_messages_are_found():
    assert {"Token is blacklisted", "Given token not valid for any token type", "Token is expired"} <= set(simplejwt_messages())


@pytest.mark.parametrize("text", simplejwt_messages())
def test_every_simplejwt_message_has_an_indonesian_text(text):
    with translation.override("id"):
        indonesian = translation.gettext(text)
    assert indonesian != text, f"{text!r} has no Indonesian text"
    with translation.override("en"):
        assert translation.gettext(text) == text


@pytest.mark.parametrize("wait", [1, 5])
def test_drfs_throttled_text_in_both_languages(wait):
    """The API words its own 429 (core/messages.py `throttled`); DRF's text is translated all the same."""
    with translation.override("id"):
        assert str(exceptions.Throttled(wait=wait).detail) == f"Permintaan ini telah dibatasi. Coba lagi dalam {wait} detik."
    with translation.override("en"):
        assert str(exceptions.Throttled(wait=wait).detail).startswith(f"Request was throttled. Expected available in {wait} second")


# --- locale/ -------------------------------------------------------------------------------------


def read_po(path: Path) -> dict:
    """A .po file as gettext's catalog of its .mo: msgid -> msgstr, (msgid, n) -> msgstr[n]."""
    catalog: dict = {}
    entry: dict[str, str] = {}
    field = None

    def flush():
        if "msgid" in entry:
            if "msgid_plural" in entry:
                for key, value in entry.items():
                    if key.startswith("msgstr["):
                        catalog[(entry["msgid"], int(key[7:-1]))] = value
            else:
                catalog[entry["msgid"]] = entry["msgstr"]
        entry.clear()

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if not line:
                flush()
            continue
        if line.startswith('"'):
            entry[field] += ast.literal_eval(line)
            continue
        field, _, quoted = line.partition(" ")
        entry[field] = ast.literal_eval(quoted)
    return catalog


@pytest.mark.parametrize("po", sorted(LOCALE.glob("*/LC_MESSAGES/*.po")), ids=lambda p: str(p.relative_to(LOCALE)))
def test_the_committed_mo_is_the_compiled_po(po):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages` and commit it"
    with mo.open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    expected = read_po(po)
    # msgfmt leaves out untranslated entries.
    expected = {key: value for key, value in expected.items() if value or key == ""}
    assert catalog == expected, f"{mo} is not the compiled {po.name}: run `make messages` and commit it"


def test_the_project_catalog_is_used():
    assert [Path(path) for path in settings.LOCALE_PATHS] == [LOCALE]
    assert list(LOCALE.glob("id/LC_MESSAGES/django.mo"))
    with translation.override("id"):
        assert translation.gettext('Method "{method}" not allowed.') == 'Metode "{method}" tidak diizinkan.'


def test_the_image_and_the_repository_keep_the_compiled_catalog():
    root = LOCALE.parent
    for ignore_file in (".gitignore", ".dockerignore"):
        patterns = (root / ignore_file).read_text().splitlines()
        assert not [p for p in patterns if p.strip() in ("*.mo", "locale", "locale/", "/locale/", "**/*.mo")], ignore_file
