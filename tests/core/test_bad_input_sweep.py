"""No client input produces a 5xx (API.md "General rules", QUALITY.md Security 16).

A hand-written sweep beside Schemathesis: every write operation of the served OpenAPI schema (so a new
endpoint is swept as soon as it is routed) gets bodies that are too big, too deep, not text, not JSON,
and a valid body with each of its values, nested ones included, replaced in turn by something huge,
odd or out of range. Every answer must be a 2xx or a 4xx in the error shape; a body over the limit
must be a 413 and a body nested too deep a 400, on every operation that reads a body. Every list
operation gets the same treatment on its query parameters, and every `{id}` in a path a number far out
of range.
"""

import datetime
import functools
import json
import uuid

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import PASSWORD, UserFactory, enrollment, make_nik, random_mobile, worker_payload

WRITE_METHODS = ("post", "put", "patch", "delete")


@functools.cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(methods) -> list[tuple[str, str]]:
    schema = _schema()
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in methods
    )


WRITE_OPERATIONS = _operations(WRITE_METHODS)
READ_OPERATIONS = _operations(("get",))


def _body_schema(method: str, path: str) -> dict | None:
    """The JSON request body schema of an operation (refs resolved one level), or None."""
    schema = _schema()
    body = schema["paths"][path][method.lower()].get("requestBody")
    if not body:
        return None
    media = body["content"].get("application/json", {}).get("schema", {})
    ref = media.get("$ref")
    if ref:
        media = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return media


# --- what is sent -----------------------------------------------------------------------------------

LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE (settings.py keeps the default)

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    1e308,
    2**31,
    2**63,
    10**30,
    -(10**30),
    "",
    " ",
    "a" * 100_000,
    "\u0000",
    "Siti\u0000Aminah",
    "\ud800",  # a lone surrogate: json.dumps escapes it as \ud800
    "\udfff\ud800 x",
    "\u202eSiti Aminah\u202c",  # right-to-left override
    "سيتي أمينة",
    "😀" * 40,
    "\ufeff",
    "０８１２３４５６７８９０",  # full-width digits
    "٣١٧٤٠١٤٥٠٧٩٠٠٠٠١",  # Arabic-Indic digits
    "9999-12",
    "0000-01",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2026-13",
    "2026-02-30",
    "-1",
    "1e400",
    "NaN",
    "9" * 400,
    [],
    [None],
    ["\u0000"],
    [[[[]]]],
    [{"a": {"b": {"c": [1]}}}],
    {},
    {"\ud800": "\u0000"},
    ["JKK"] * 1000,
    list(range(5000)),
]

DEEP = 50_000
RAW_BODIES = {
    "deep_array": b"[" * DEEP,
    "deep_object": b'{"a":' * DEEP,
    "deep_closed": b"[" * 900 + b"]" * 900,
    "deep_value": b'{"x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    "huge": json.dumps({"x": "a" * (LIMIT + 1000)}).encode(),
    "huge_array": b"[" + b"1," * (LIMIT // 2) + b"1]",
    "invalid_utf8": b'{"x": "\xff\xfe\xc3"}',
    "raw_nul": b'{"x": "\x00"}',
    "nan": b'{"x": NaN}',
    "infinity": b'{"x": -Infinity}',
    "long_int": b'{"x": ' + b"9" * 5000 + b"}",
    "float_overflow": b'{"x": 1e400}',
    "escaped_lone_surrogate": b'{"x": "\\ud800"}',
    "escaped_surrogate_key": b'{"\\udc00": 1}',
    "escaped_nul": b'{"x": "\\u0000"}',
    "bom": b"\xef\xbb\xbf{}",
    "not_json": b"<xml/>",
    "truncated": b'{"x": ',
    "empty": b"",
    "null": b"null",
    "list": b"[]",
    "string": b'"x"',
    "number": b"1",
    "true": b"true",
    "duplicate_keys": b'{"x": 1, "x": 2}',
}
CONTENT_TYPES = [
    "application/json; charset=nope",
    "application/json; charset=utf-16",
    "application/json; charset=",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
]


def _mutations(value, odd):
    """Copies of `value` with one leaf (or the whole value) replaced by `odd`, at every depth."""
    yield odd
    if isinstance(value, dict):
        for key, item in value.items():
            for mutated in _mutations(item, odd):
                yield {**value, key: mutated}
    elif isinstance(value, list) and value:
        for mutated in _mutations(value[0], odd):
            yield [mutated, *value[1:]]


# --- the world the requests meet ----------------------------------------------------------------------


class World:
    """A sponsor with objects of every kind, the ids that fill path parameters, and valid bodies."""

    def __init__(self):
        from contributions import services as contributions
        from notifications.models import InboxItem

        self.sponsor = UserFactory()
        self.worker = enrollment(sponsor=self.sponsor)
        self.waiting = enrollment(sponsor=self.sponsor, consent=False)
        self.invoice = contributions.invoice_create(sponsor=self.sponsor, items=[{"worker": self.worker.pk, "months": 1}])
        self.inbox = InboxItem.objects.create(user=self.sponsor, kind="enrollment_approved", title="t", body="b")
        self.refresh = str(RefreshToken.for_user(self.sponsor))
        self.access = str(RefreshToken.for_user(self.sponsor).access_token)

    def path(self, template: str, out_of_range: bool = False) -> str:
        if out_of_range:
            ident = str(10**30)
        elif template.startswith("/api/v1/workers/{id}/consent") or "resend-consent-code" in template:
            ident = str(self.waiting.pk)
        elif template.startswith("/api/v1/workers/"):
            ident = str(self.worker.pk)
        elif template.startswith("/api/v1/invoices/"):
            ident = str(self.invoice.pk)
        elif template.startswith("/api/v1/notifications/"):
            ident = str(self.inbox.pk)
        else:
            ident = "1"
        return template.replace("{id}", ident).replace("{gateway}", "simulator")

    def body(self, method: str, path: str) -> dict:
        """A body the operation accepts (or refuses only for a domain reason); {} for one not listed."""
        phone = random_mobile()
        bodies = {
            "/api/v1/auth/signup": {"phone": phone, "full_name": "Budi Santoso", "password": PASSWORD},
            "/api/v1/auth/verify-phone": {"phone": self.sponsor.phone, "code": "123456"},
            "/api/v1/auth/resend-code": {"phone": self.sponsor.phone},
            "/api/v1/auth/token": {"phone": self.sponsor.phone, "password": PASSWORD},
            "/api/v1/auth/token/refresh": {"refresh": self.refresh},
            "/api/v1/auth/logout": {"refresh": self.refresh},
            "/api/v1/me": {"full_name": "Budi Santoso", "email": "budi@example.id", "language": "en",
                           "reminder_channels": ["sms", "push"]},
            "/api/v1/me/devices": {"token": "fcm-token-1", "platform": "android"},
            "/api/v1/workers": worker_payload(nik=make_nik(birth_date=datetime.date(1990, 7, 5))),
            "/api/v1/workers/{id}": {"phone": phone, "income_level": 1_000_000, "programmes": ["JKK", "JKM"]},
            "/api/v1/workers/{id}/consent": {"code": "123456"},
            "/api/v1/quotes": {"income_level": 1_000_000, "programmes": ["JKK", "JKM", "JHT"],
                               "occupation": "gardener", "start_month": "2026-11", "months": 12},
            "/api/v1/invoices": {"items": [{"worker": self.worker.pk, "months": 1}]},
            "/api/v1/payments/simulator/pay": {"number": self.invoice.number, "amount": self.invoice.total},
            "/api/v1/payments/notifications/{gateway}": {
                "order_id": self.invoice.number, "transaction_id": "t-1", "transaction_status": "settlement",
                "status_code": "200", "gross_amount": f"{self.invoice.total}.00", "signature_key": "x" * 128,
                "payment_type": "bank_transfer", "va_numbers": [{"bank": "bni", "va_number": "8808123"}],
            },
        }
        return bodies.get(path, {})


@pytest.fixture
def world(db, reference, settings):
    settings.API_THROTTLING = False
    return World()


def _client(world: World) -> Client:
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {world.access}")


def _send(client, method: str, path: str, body: bytes, content_type: str = "application/json", **headers):
    return client.generic(method, path, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                          **headers)


def _problem(response) -> str | None:
    """Why `response` breaks the contract (a 5xx, or a 4xx outside the error shape), else None."""
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.content[:300]!r}"
    if status < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"{status} is not JSON: {response.content[:200]!r}"
    expected = "validation_error" if status == 400 else "client_error"
    if not isinstance(body, dict) or body.get("type") != expected or not body.get("errors"):
        return f"{status} is not the error shape: {body!r:.300}"
    for error in body["errors"]:
        if set(error) != {"code", "detail", "attr"} or not isinstance(error["code"], str):
            return f"{status} has a malformed error: {error!r:.300}"
        if not isinstance(error["detail"], str) or not error["detail"]:
            return f"{status} has no detail: {error!r:.300}"
    return None


def _first_code(response) -> str:
    return json.loads(response.content)["errors"][0]["code"]


# --- the sweep ----------------------------------------------------------------------------------------


def test_the_sweep_covers_every_write_endpoint():
    """The operations come from the schema; the known ones must be among them (a broken enumeration
    would silently sweep nothing)."""
    assert len(WRITE_OPERATIONS) >= 19, WRITE_OPERATIONS
    for known in [
        ("POST", "/api/v1/auth/signup"),
        ("POST", "/api/v1/quotes"),
        ("POST", "/api/v1/workers"),
        ("POST", "/api/v1/invoices"),
        ("POST", "/api/v1/payments/notifications/{gateway}"),
        ("PATCH", "/api/v1/me"),
    ]:
        assert known in WRITE_OPERATIONS


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS, ids=[f"{m} {p}" for m, p in WRITE_OPERATIONS])
def test_raw_bodies_never_produce_a_5xx(world, method, path):
    client = _client(world)
    reads_body = _body_schema(method, path) is not None
    problems = []
    for name, raw in RAW_BODIES.items():
        response = _send(client, method, world.path(path), raw)
        problem = _problem(response)
        if problem:
            problems.append(f"{name}: {problem}")
        elif reads_body and name.startswith("huge") and response.status_code != 413:
            problems.append(f"{name}: {response.status_code}, not 413")
        elif reads_body and name.startswith("deep") and (response.status_code, _first_code(response)) != (400, "parse_error"):
            problems.append(f"{name}: {response.status_code} {response.content[:200]!r}, not a 400 parse_error")
    valid = json.dumps(world.body(method, path)).encode()
    for content_type in CONTENT_TYPES:
        problem = _problem(_send(client, method, world.path(path), valid, content_type=content_type))
        if problem:
            problems.append(f"{content_type}: {problem}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS, ids=[f"{m} {p}" for m, p in WRITE_OPERATIONS])
def test_odd_values_never_produce_a_5xx(world, method, path):
    client = _client(world)
    base = world.body(method, path)
    schema = _body_schema(method, path) or {}
    # Optional fields the valid body leaves out are swept too.
    base = {**{name: "x" for name in schema.get("properties", {}) if name not in base}, **base}
    problems = []
    statuses = set()
    seen = set()
    for odd in ODD_VALUES:
        for body in _mutations(base, odd):
            raw = json.dumps(body).encode()
            if raw in seen:
                continue
            seen.add(raw)
            response = _send(client, method, world.path(path), raw)
            statuses.add(response.status_code)
            problem = _problem(response)
            if problem:
                problems.append(f"{raw[:160]!r}: {problem}")
    assert not problems, f"{len(problems)} answers broke the contract:\n" + "\n".join(problems[:40])
    if schema:
        # The sweep reached the operation's validation, not only a door closed before it.
        assert 400 in statuses, statuses


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in WRITE_OPERATIONS + READ_OPERATIONS if "{id}" in p])
def test_ids_out_of_range_answer_404(world, method, path):
    response = _send(_client(world), method, world.path(path, out_of_range=True), json.dumps(world.body(method, path)).encode())
    assert response.status_code == 404, response.content[:300]
    assert _problem(response) is None


@pytest.mark.parametrize(("method", "path"), READ_OPERATIONS, ids=[f"{m} {p}" for m, p in READ_OPERATIONS])
def test_odd_query_parameters_never_produce_a_5xx(world, method, path):
    schema = _schema()
    names = [p["name"] for p in schema["paths"][path]["get"].get("parameters", []) if p["in"] == "query"]
    names += ["cursor", "page_size", "status", "q"]
    client = _client(world)
    problems = []
    for name in names:
        for odd in ODD_VALUES:
            if isinstance(odd, (list, dict)):
                continue
            value = json.dumps(odd) if not isinstance(odd, str) else odd
            value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")[:5000]
            response = client.get(world.path(path), {name: value})
            problem = _problem(response)
            if problem:
                problems.append(f"{name}={value[:40]!r}: {problem}")
    assert not problems, "\n".join(problems[:40])
