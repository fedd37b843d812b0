"""A client generated from the served schema runs the README's journey (issue 25, item 3).

A mobile team generates its client from `/api/schema/`; if the schema names a field the answer lacks,
gives it another type, leaves out a status the server answers or an enum value it sends, that client
breaks. So does this test: once per session it GETs the schema from a live server (pytest-django's
`live_server`, a real HTTP server in this process on the test database), generates a typed Python
client from it with openapi-python-client into a temporary folder, imports it, and runs README.md's
walkthrough ("Trying it by hand") through it: signup, verify, token, register a worker, consent,
quote, invoice, pay (the simulator), coverage, the card (JSON, PDF, PNG), benefits, the receipt and the
inbox.

Every answer is read through the generated models, and `typed()` checks each one against its model's
annotations: a value of another type than the schema says, or a field the schema does not name, fails
(the generated `from_dict` alone would accept both). The client raises on any status the schema does
not document for the operation.
"""

import datetime
import enum
import importlib
import pkgutil
import subprocess
import sys
import types
import typing
import uuid

import attrs
import httpx
import pytest

# openapi-python-client's content_type_overrides: it reads only JSON, text and octet-stream answers,
# so the card's PDF and PNG, the receipt and the QR code are read as the bytes they are.
GENERATOR_CONFIG = """\
content_type_overrides:
  application/pdf: application/octet-stream
  image/png: application/octet-stream
post_hooks: []
"""
PACKAGE = "sertakan_client"


class Generated:
    """The generated package: its operations by operationId (whatever tag groups them), its models."""

    def __init__(self):
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")
        api = importlib.import_module(f"{PACKAGE}.api")
        self.operations = {
            info.name.rsplit(".", 1)[1]: importlib.import_module(info.name)
            for info in pkgutil.walk_packages(api.__path__, prefix=f"{api.__name__}.")
            if not info.ispkg
        }

    def client(self, base_url: str, token: str | None = None):
        """A client that raises on any status the schema does not document for the operation."""
        client_module = importlib.import_module(f"{PACKAGE}.client")
        if token is None:
            return client_module.Client(base_url=base_url, raise_on_unexpected_status=True)
        return client_module.AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)

    def call(self, operation_id: str, expected_status: int, expected_model, **kwargs):
        """Call an operation; its answer must have `expected_status` and parse as `expected_model`."""
        response = self.operations[operation_id].sync_detailed(**kwargs)
        assert response.status_code == expected_status, (operation_id, response.status_code, response.content[:2000])
        assert isinstance(response.parsed, expected_model), (operation_id, type(response.parsed), response.content[:2000])
        return typed(response.parsed, self), response


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory) -> Generated:
    answer = httpx.get(f"{live_server.url}/api/schema/", timeout=30)
    assert answer.status_code == 200, answer.text[:2000]
    folder = tmp_path_factory.mktemp("generated-client")
    (folder / "schema.yaml").write_bytes(answer.content)
    (folder / "config.yaml").write_text(GENERATOR_CONFIG)
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(folder / "schema.yaml"),
         "--config", str(folder / "config.yaml"), "--meta", "none", "--output-path", str(folder / PACKAGE),
         "--fail-on-warning"],
        capture_output=True, text=True, timeout=120,
    )
    # --fail-on-warning: a schema the generator only half understands fails here, not later.
    assert result.returncode == 0, f"openapi-python-client refused the schema:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(folder))
    try:
        yield Generated()
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


# --- Checking a parsed answer against its model -----------------------------------------------------


def _hints(cls, generated: Generated) -> dict:
    # The models annotate with strings and import their neighbours only under TYPE_CHECKING.
    namespace = {**vars(generated.models), "datetime": datetime}
    return typing.get_type_hints(cls, globalns=vars(sys.modules[cls.__module__]), localns=namespace)


def typed(value, generated: Generated, hint=None, where: str = "answer"):
    """`value` as its annotation (`hint`; for a model, each field's) says, recursively; returns it."""
    File, Unset = generated.types.File, generated.types.Unset
    if hint is None and isinstance(value, list):  # a list answer: each item as its own model
        for index, element in enumerate(value):
            typed(element, generated, None, f"{where}[{index}]")
        return value
    if hint is None:
        hint = type(value)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        problems = []
        for option in typing.get_args(hint):
            try:
                return typed(value, generated, option, where)
            except AssertionError as exc:
                problems.append(str(exc))
        raise AssertionError(f"{where}: {value!r} is none of {hint}: {problems}")
    if origin is list:
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        (item,) = typing.get_args(hint)
        for index, element in enumerate(value):
            typed(element, generated, item, f"{where}[{index}]")
        return value
    if hint is typing.Any:
        return value
    if hint is type(None):
        assert value is None, f"{where}: {value!r} is not null"
    elif hint is Unset:
        assert isinstance(value, Unset), f"{where}: {value!r} is set"
    elif hint is bool:
        assert isinstance(value, bool), f"{where}: {value!r} is not a boolean"
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not an integer"
    elif hint is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: {value!r} is not a number"
    elif hint is str:
        assert isinstance(value, str), f"{where}: {value!r} is not a string"
    elif hint is datetime.datetime:
        assert isinstance(value, datetime.datetime), f"{where}: {value!r} is not a date-time"
    elif hint is datetime.date:
        assert type(value) is datetime.date, f"{where}: {value!r} is not a date"
    elif hint is File:
        assert isinstance(value, File), f"{where}: {value!r} is not a file"
    elif isinstance(hint, type) and issubclass(hint, enum.Enum):
        assert isinstance(value, hint), f"{where}: {value!r} is not a {hint.__name__}"
    elif attrs.has(hint):
        assert isinstance(value, hint), f"{where}: {type(value).__name__} is not a {hint.__name__}"
        hints = _hints(hint, generated)
        declared = [f.name for f in attrs.fields(hint) if f.name != "additional_properties"]
        # A model with declared fields lists all of them: any other field in the answer is undocumented.
        # (An object the schema leaves free-form has none, and keeps what it gets.)
        if declared:
            assert not value.additional_properties, (
                f"{where}: the answer has fields the schema does not name: {sorted(value.additional_properties)}"
            )
        for name in declared:
            typed(getattr(value, name), generated, hints[name], f"{where}.{name}")
    else:
        raise AssertionError(f"{where}: typed() does not know {hint!r}")
    return value


def test_typed_catches_an_answer_the_schema_does_not_describe(generated):
    """The checker itself: a real answer passes, a changed one fails."""
    Coverage = generated.models.Coverage
    honest = {"status": "active", "paid_through": "2026-12", "next_due_date": "2027-01-15", "arrears_months": 0}
    typed(Coverage.from_dict(honest), generated)
    lies = {
        "a string for an integer": {**honest, "arrears_months": "0"},
        "a number where a month string or null is due": {**honest, "paid_through": 202612},
        "a field the schema does not name": {**honest, "months_paid": 3},
    }
    for lie, answer in lies.items():
        with pytest.raises(AssertionError):
            typed(Coverage.from_dict(answer), generated)
            pytest.fail(lie)
    with pytest.raises(KeyError):  # a field the schema requires, missing
        Coverage.from_dict({k: v for k, v in honest.items() if k != "arrears_months"})
    with pytest.raises(ValueError):  # a status the schema does not list
        Coverage.from_dict({**honest, "status": "paid"})


# --- The README journey -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_readme_journey_through_the_generated_client(generated, live_server, reference, notify_file):
    m = generated.models
    anonymous = generated.client(live_server.url)

    # 1. Sign up; an OTP goes to the phone.
    signup, _ = generated.call(
        "auth_signup_create", 201, m.SignupOutput, client=anonymous,
        body=m.SignupInputRequest(phone="0812-5555-0101", full_name="Wulan Sari", password="kopi-tubruk-2026"),
    )
    assert signup.phone == "+6281255550101"

    # 2. Verify the phone with the code from the messages file, then sign in.
    generated.call(
        "auth_verify_phone_create", 200, m.VerifyPhoneOutput, client=anonymous,
        body=m.VerifyPhoneInputRequest(phone="0812-5555-0101", code=notify_file.last_code("+6281255550101")),
    )
    tokens, _ = generated.call(
        "auth_token_create", 200, m.TokenPair, client=anonymous,
        body=m.TokenInputRequest(phone="0812-5555-0101", password="kopi-tubruk-2026"),
    )
    sponsor = generated.client(live_server.url, token=tokens.access)

    # What a sponsor would pay, before registering anyone.
    quote, _ = generated.call(
        "quotes_create", 200, m.Quote, client=sponsor,
        body=m.QuoteInputRequest(income_level=1_000_000, programmes=[m.ProgrammeEnum("JKK"), m.ProgrammeEnum("JKM"),
                                 m.ProgrammeEnum("JHT")], occupation=m.OccupationEnum("household_assistant"), months=3),
    )
    assert quote.total > 0

    # 3. Register a worker: awaiting the worker's consent, a code goes to the worker's phone.
    worker, _ = generated.call(
        "workers_create", 201, m.Worker, client=sponsor,
        body=m.WorkerCreateRequest(
            nik="3171015508920003", full_name="Sri Rahayu", birth_date=datetime.date(1992, 8, 15),
            phone="0813-2468-1357", occupation=m.OccupationEnum("household_assistant"),
            relationship=m.RelationshipEnum("household_helper"), income_level=1_000_000,
            programmes=[m.ProgrammeEnum("JKK"), m.ProgrammeEnum("JKM"), m.ProgrammeEnum("JHT")],
            address="Jl. Mawar 7, Jakarta",
        ),
    )
    assert worker.status == m.EnrollmentStatusEnum("awaiting_consent")
    assert worker.kpj_number is None

    # 4. The sponsor enters the worker's consent code: approved at once, with an 11-digit KPJ number.
    worker, _ = generated.call(
        "workers_consent_create", 200, m.Worker, client=sponsor, id=worker.id,
        body=m.ConsentRequest(code=notify_file.last_code("+6281324681357")),
    )
    assert worker.status == m.EnrollmentStatusEnum("approved")
    assert len(worker.kpj_number) == 11 and worker.kpj_number.isdigit()

    # 5. Pay three months through the payment simulator; the worker is covered.
    invoice, _ = generated.call(
        "invoices_create", 201, m.Invoice, client=sponsor, idempotency_key=str(uuid.uuid4()),
        body=m.InvoiceCreateRequest(items=[m.InvoiceItemInputRequest(worker=worker.id, months=3)]),
    )
    assert invoice.status == m.InvoiceStatusEnum("pending")
    assert invoice.total == quote.total
    paid, _ = generated.call(
        "payments_simulator_pay_create", 200, m.Invoice, client=sponsor,
        body=m.SimulatorPayRequest(number=invoice.number),
    )
    assert paid.id == invoice.id and paid.status == m.InvoiceStatusEnum("paid")
    assert isinstance(paid.paid_at, datetime.datetime)
    worker, _ = generated.call("workers_retrieve", 200, m.Worker, client=sponsor, id=worker.id)
    assert worker.coverage.status == m.CoverageStatusEnum("active")
    assert worker.coverage.arrears_months == 0

    # 6. The member's documents: the card as JSON, PDF and PNG, the benefits, the receipt.
    card, _ = generated.call("workers_card_retrieve", 200, m.Card, client=sponsor, id=worker.id)
    assert card.kpj_number == worker.kpj_number
    assert card.verify_url.startswith("https://verify.test.example/api/v1/verify/")
    pdf, response = generated.call("workers_card_pdf_retrieve", 200, generated.types.File, client=sponsor, id=worker.id)
    assert response.headers["content-type"] == "application/pdf" and pdf.payload.read().startswith(b"%PDF-")
    png, response = generated.call("workers_card_png_retrieve", 200, generated.types.File, client=sponsor, id=worker.id)
    assert response.headers["content-type"] == "image/png" and png.payload.read().startswith(b"\x89PNG\r\n\x1a\n")
    benefits, _ = generated.call("workers_benefits_list", 200, list, client=sponsor, id=worker.id)
    assert benefits and all(isinstance(b, m.Benefit) for b in benefits)
    invoices, _ = generated.call(
        "invoices_list", 200, m.PaginatedInvoiceList, client=sponsor, status=m.InvoicesListStatus("paid")
    )
    assert [i.number for i in invoices.results] == [invoice.number]
    receipt, response = generated.call(
        "invoices_receipt_pdf_retrieve", 200, generated.types.File, client=sponsor, id=invoice.id
    )
    assert response.headers["content-type"] == "application/pdf" and receipt.payload.read().startswith(b"%PDF-")

    # 7. The inbox: the approval and the payment.
    inbox, _ = generated.call("notifications_list", 200, m.PaginatedInboxItemList, client=sponsor)
    kinds = {item.kind for item in inbox.results}
    assert {m.InboxItemKindEnum("enrollment_approved"), m.InboxItemKindEnum("payment_received")} <= kinds

    # A documented error parses as its documented model too: consent to an approved worker is refused.
    refused, _ = generated.call(
        "workers_consent_create", 409, m.InvalidStatusErrorResponse, client=sponsor, id=worker.id,
        body=m.ConsentRequest(code="000000"),
    )
    assert refused.type_ == m.ClientErrorEnum("client_error")
    assert [e.code.value for e in refused.errors] == ["invalid_status"]
