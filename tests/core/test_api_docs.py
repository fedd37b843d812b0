"""Swagger UI (/api/docs/) and ReDoc (/api/redoc/) are served by the app itself (issue 25): they loaded
from a CDN, unpinned (`swagger-ui-dist@latest`), so offline the page was blank and its version drifted."""

import re
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]
DOC_PAGES = ["/api/docs/", "/api/redoc/"]


class References(HTMLParser):
    """Every URL a page makes the browser load: scripts, stylesheets, icons, images, frames, and the
    spec ReDoc reads (`<redoc spec-url>`)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "spec-url", "data", "poster"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])


def page(client, path: str) -> tuple[str, References]:
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    references = References()
    references.feed(html)
    return html, references


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_docs_page_loads_nothing_from_elsewhere(client, path):
    html, references = page(client, path)
    assert references.urls, html
    for url in references.urls:
        # A path on this server: not `https://cdn…`, nor a protocol-relative `//cdn…`.
        assert url.startswith("/") and not url.startswith("//"), url
    # Nor from its inline script or style (e.g. a font or the online validator's badge).
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html


@pytest.mark.parametrize("path", DOC_PAGES)
def test_every_static_file_the_docs_page_names_exists(client, path):
    _, references = page(client, path)
    prefix = settings.STATIC_URL  # "/static/"
    assert references.scripts and all(script.startswith(prefix) for script in references.scripts)
    for url in references.urls:
        if url.startswith(prefix):
            assert finders.find(url.removeprefix(prefix)), f"{url} is not a static file of any app"


def test_swagger_ui_reads_the_local_schema_and_asks_no_online_validator(client):
    html, _ = page(client, "/api/docs/")
    assert '"validatorUrl": null' in html
    assert '"/api/schema/"' in html
    assert "swagger-ui-dist/swagger-ui-bundle.js" in html


def test_redoc_reads_the_local_schema(client):
    _, references = page(client, "/api/redoc/")
    assert "/api/schema/" in references.urls
    assert any(url.endswith("redoc/bundles/redoc.standalone.js") for url in references.scripts)


def test_the_sidecar_is_pinned_to_the_installed_version():
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["drf-spectacular-sidecar"] == version("drf-spectacular-sidecar")


def test_the_run_banner_and_the_readme_name_both_pages():
    makefile = (ROOT / "Makefile").read_text()
    banner = makefile.split("define BANNER", 1)[1].split("endef", 1)[0]
    readme = (ROOT / "README.md").read_text()
    for path in DOC_PAGES:
        assert f"http://127.0.0.1:$(PORT){path}" in banner
        assert f"http://127.0.0.1:8000{path}" in readme
