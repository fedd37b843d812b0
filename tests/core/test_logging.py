"""Personal data (NIK, phone numbers) never reaches the logs (UU PDP 27/2022)."""

import io
import logging
import uuid

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.logging import RedactingFormatter, RedactPersonalDataFilter, redact

NIK = "3174014507900001"
PHONE_FORMATS = [
    "081234567890",
    "0812-3456-7890",
    "0812 3456 7890",
    "0812.3456.7890",
    "62812 3456 7890",
    "6281234567890",
    "62-812-3456-7890",
    "+6281234567890",
    "+62 812-3456-7890",
    "+62 812 3456 7890",
]
PHONE_DIGIT_RUNS = ["81234567890", "1234567890", "3456", "7890", "12345"]


@pytest.fixture
def capture():
    """A dedicated logger whose handler writes to a StringIO, with the project's filter and formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    # No %(name)s: the random logger name could itself hold a digit run the assertions look for.
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactPersonalDataFilter())
    logger = logging.getLogger(f"tests.core.redact.{uuid.uuid4().hex}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)
    handler.close()


def assert_no_personal_data(output: str, phone: str | None = None):
    assert NIK not in output
    assert "14507900" not in output  # the NIK's birth date and district
    assert "450790" not in output
    if phone is not None:
        assert phone not in output
        for run in PHONE_DIGIT_RUNS:
            assert run not in output, (run, output)


def test_nik_in_message_is_redacted(capture):
    logger, stream = capture
    logger.info(f"registering worker nik={NIK} now")
    output = stream.getvalue()
    assert_no_personal_data(output)
    assert "[NIK]" in output
    assert "registering worker nik=" in output
    assert "now" in output


@pytest.mark.parametrize("phone", PHONE_FORMATS)
def test_phone_in_message_is_redacted(capture, phone):
    logger, stream = capture
    logger.warning(f"sms to {phone} failed")
    output = stream.getvalue()
    assert_no_personal_data(output, phone)
    assert "sms to [PHONE] failed" in output


@pytest.mark.parametrize("phone", PHONE_FORMATS)
def test_nik_and_phone_in_percent_args_are_redacted(capture, phone):
    logger, stream = capture
    logger.info("nik %s phone %s", NIK, phone)
    output = stream.getvalue()
    assert_no_personal_data(output, phone)
    assert "nik [NIK] phone [PHONE]" in output


def test_nik_as_int_arg_and_dict_args_are_redacted(capture):
    logger, stream = capture
    logger.info("nik %d", int(NIK))
    logger.info("worker %(nik)s %(phone)s", {"nik": NIK, "phone": "+6281234567890"})
    output = stream.getvalue()
    assert_no_personal_data(output, "+6281234567890")
    assert "nik [NIK]" in output
    assert "worker [NIK] [PHONE]" in output


def test_nik_and_phone_in_exception_traceback_are_redacted(capture):
    logger, stream = capture
    try:
        raise ValueError(f"bad worker {NIK} with phone 0812-3456-7890")
    except ValueError:
        logger.exception("registration failed for %s", "+6281234567890")
    output = stream.getvalue()
    assert "Traceback" in output
    assert "ValueError: bad worker [NIK] with phone [PHONE]" in output
    assert "registration failed for [PHONE]" in output
    assert_no_personal_data(output, "0812-3456-7890")


def test_nik_in_chained_exception_and_exc_info_kwarg_is_redacted(capture):
    logger, stream = capture
    try:
        try:
            int(f"x{NIK}")
        except ValueError as inner:
            raise RuntimeError("could not parse") from inner
    except RuntimeError:
        logger.error("failed", exc_info=True)
    output = stream.getvalue()
    assert "RuntimeError: could not parse" in output
    assert_no_personal_data(output)


def test_filter_rewrites_the_record_itself(capture):
    """Other handlers (e.g. Sentry) attached after the filter see the redacted record."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "nik %s phone %s", (NIK, "081234567890"), None)
    assert RedactPersonalDataFilter().filter(record) is True
    assert record.getMessage() == "nik [NIK] phone [PHONE]"


def test_filter_never_drops_records():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "broken %s %s", ("only one",), None)
    assert RedactPersonalDataFilter().filter(record) is True
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "nothing personal, amount 36800", None, None)
    assert RedactPersonalDataFilter().filter(record) is True
    assert record.getMessage() == "nothing personal, amount 36800"


@pytest.mark.parametrize(
    "text",
    [
        "amount 36800",
        "amount Rp36.800 total 73600",
        "due 2026-12-15",
        "period 2026-12",
        "timestamp 2026-12-15T08:30:00+07:00",
        "kpj 12345678901",
        "invoice 42 order INV-20261215-0001",
        "user id 1234567",
        "unix 1765778400",
        "gross_amount 36800.00",
        "income 1000000 to 5000000",
        "order BPU-20260812103045",  # a compact timestamp holding "0812103045"
        "trace 120260812345678",
    ],
)
def test_ordinary_numbers_are_not_redacted(capture, text):
    assert redact(text) == text
    logger, stream = capture
    logger.info("%s", text)
    assert text in stream.getvalue()


@pytest.mark.parametrize("phone", PHONE_FORMATS)
def test_redact_phone_formats_directly(phone):
    assert redact(f"to {phone}.") == "to [PHONE]."
    assert redact(f"[{phone}]") == "[[PHONE]]"


def test_redact_nik_directly():
    assert redact(NIK) == "[NIK]"
    assert redact(f"nik:{NIK},") == "nik:[NIK],"
    # 15 and 17 digit runs are not NIKs.
    assert redact("317401450790000") == "317401450790000"
    assert redact("31740145079000011") == "31740145079000011"


@pytest.mark.parametrize("phone", ["(0812) 3456 7890", "(0812)-3456-7890", "+62 (812) 3456-7890", "62 (812) 3456 7890"])
def test_redacts_phone_with_brackets_which_normalize_phone_accepts(phone):
    """core.phones accepts brackets ("with spaces, dashes, dots or brackets"): what a user may type must
    not reach the logs either."""
    from core.phones import normalize_phone

    assert normalize_phone(phone) == "+6281234567890"
    output = redact(f"bad input {phone}")
    for run in ["3456 7890", "3456-7890", "7890"]:
        assert run not in output, output


# Valid NIKs (structure only matters to the regex) and valid Indonesian mobile numbers.
niks = st.text(alphabet="0123456789", min_size=16, max_size=16)
mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["0811", "0812", "0813", "0821", "0852", "0857", "0878", "0881", "0896"]),
    st.text(alphabet="0123456789", min_size=6, max_size=9),
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(niks, mobiles, st.sampled_from(["local", "62", "+62", "+62 ", "dashes", "spaces"]))
def test_any_nik_and_phone_are_redacted(nik, local, style):
    national = local[1:]
    phone = {
        "local": local,
        "62": "62" + national,
        "+62": "+62" + national,
        "+62 ": "+62 " + national[:3] + "-" + national[3:7] + "-" + national[7:],
        "dashes": local[:4] + "-" + local[4:8] + "-" + local[8:],
        "spaces": local[:4] + " " + local[4:8] + " " + local[8:],
    }[style]
    phone = phone.rstrip("- ")
    assert redact(f"nik {nik} phone {phone} end") == "nik [NIK] phone [PHONE] end"


# --- the project's LOGGING setting ---------------------------------------------------------------


def test_settings_logging_attaches_filter_and_formatter_to_console():
    config = settings.LOGGING
    console = config["handlers"]["console"]
    filter_names = console.get("filters", [])
    assert filter_names, "the console handler has no filter"
    filter_classes = [config["filters"][name].get("()") for name in filter_names]
    assert "core.logging.RedactPersonalDataFilter" in filter_classes
    formatter = config["formatters"][console["formatter"]]
    assert formatter.get("()") == "core.logging.RedactingFormatter"
    # Every handler used by the root logger and the named loggers is the redacting console.
    assert config["root"]["handlers"] == ["console"]
    for logger_config in config.get("loggers", {}).values():
        for handler_name in logger_config.get("handlers", []):
            assert handler_name == "console"


def test_configured_root_console_redacts():
    """Django applied settings.LOGGING at setup: the root logger's console handler redacts.

    The handler's stream is swapped for a StringIO for the duration of the test (no reconfiguration).
    """
    root = logging.getLogger()
    consoles = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler)
        and isinstance(h.formatter, RedactingFormatter)
        and any(isinstance(f, RedactPersonalDataFilter) for f in h.filters)
    ]
    assert consoles, f"no redacting console handler on the root logger: {root.handlers}"
    console = consoles[0]
    db_logger = logging.getLogger("django.db.backends")
    assert console in db_logger.handlers
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger("tests.core.settings_logging").warning("nik %s phone %s", NIK, "0812-3456-7890")
    finally:
        console.setStream(previous)
    output = stream.getvalue()
    assert "nik [NIK] phone [PHONE]" in output
    assert_no_personal_data(output, "0812-3456-7890")


# --- query strings (QUALITY.md Security 15) ----------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ('"GET /admin/registration/enrollment/?q=3171014507900001 HTTP/1.1" 200',
         '"GET /admin/registration/enrollment/?q=… HTTP/1.1" 200'),
        # Encoded so that no pattern sees a phone; a one-time code is any six digits.
        ("GET /api/v1/workers?phone=%2B62%20812%203456%207890&code=480915&page_size=5 HTTP/1.1",
         "GET /api/v1/workers?phone=…&code=…&page_size=… HTTP/1.1"),
        ('"http://localhost/admin/registration/enrollment/?q=Siti+0812-3456-7890" "Mozilla/5.0"',
         '"http://localhost/admin/registration/enrollment/?q=…" "Mozilla/5.0"'),
        ("GET /healthz?480915&3171014507900001 HTTP/1.1", "GET /healthz?…&… HTTP/1.1"),
        ("https://sms.example.id/send?to=%2B6281234567890&text=Kode+480915", "https://sms.example.id/send?to=…&text=…"),
    ],
)
def test_query_string_values_never_reach_a_log_line(capture, line, expected):
    assert redact(line) == expected
    logger, stream = capture
    logger.info("%s", line)
    output = stream.getvalue()
    assert expected in output
    for secret in ["480915", "3456", "7890", NIK, "Siti"]:
        assert secret not in output, output


@pytest.mark.parametrize("text", ["Apa kabar? Baik.", "status ok?", "SELECT * FROM t WHERE a = ? LIMIT 21", "why?"])
def test_a_question_mark_in_prose_is_not_a_query(text):
    assert redact(text) == text


def test_the_filter_alone_redacts_a_traceback_whatever_the_formatter():
    """gunicorn's handlers keep gunicorn's plain formatters: the filter must do the whole job."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"tests.core.redact.plain.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.addFilter(RedactPersonalDataFilter())
    try:
        raise ValueError(f"GET /x?nik={NIK} from 0812-3456-7890")
    except ValueError:
        logger.exception("Error handling request /x?code=480915")
    output = stream.getvalue()
    assert "Traceback" in output and "ValueError: GET /x?nik=… from [PHONE]" in output
    assert "Error handling request /x?code=…" in output
    assert_no_personal_data(output, "0812-3456-7890")
    assert "480915" not in output


def test_djangos_loggers_have_no_handler_of_their_own():
    """Django's DEFAULT_LOGGING gives `django` a console of its own under DEBUG (no redaction) and
    `django.server` another: each event came out twice, once unredacted."""
    for name in ("django", "django.server", "django.request", "django.security.DisallowedHost"):
        assert settings.LOGGING["loggers"].get(name, {}).get("handlers", []) == []
        logger = logging.getLogger(name)
        assert logger.handlers == [], (name, logger.handlers)
        assert logger.propagate, name


def test_with_debug_on_each_request_warning_is_logged_once_and_redacted(tmp_path):
    """As `make run` serves (settings local, DEBUG on), in a fresh process: Django applies LOGGING
    over its DEFAULT_LOGGING at setup."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        f"print(Client().get('/api/v1/nothing/{NIK}/081234567890?code=480915').status_code)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "true",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOG_LEVEL": "INFO"}
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "404"
    lines = [line for line in done.stderr.splitlines() if "Not Found" in line]
    assert len(lines) == 1, done.stderr
    assert lines[0].endswith("WARNING django.request Not Found: /api/v1/nothing/[NIK]/[PHONE]"), lines
    assert_no_personal_data(done.stderr, "081234567890")


# --- numbers that are not personal data (issue 25) --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # Celery's task durations: a fraction of 16 digits read as a NIK ("succeeded in 0.[NIK]s").
        "Task notifications.tasks.send_message[528655f2-9705-48e2-8881-8da4919325ec] "
        "succeeded in 0.004738214000099106s: None",
        "succeeded in 0.0047382140000991s: None",
        "succeeded in 12.3174014507900001s: None",
        # Fractions that begin like a phone number (0 8…, 62 8…).
        "succeeded in 0.0812345678901s: None",
        "succeeded in 3.6281234567890s: None",
        "elapsed 0.08123456789 ms",
        # Amounts, with the thousands separators Indonesian writes.
        "amount Rp12.081.234.567",
        "total Rp 1.081.234.567,00",
        "gross_amount 1081234567.08123456",
        # Ids and timestamps. A task id's groups once read as a phone: "send_message[b9e24f[PHONE]-b3dd-…]".
        "Task notifications.tasks.send_message[b9e24f62-8123-4567-b3dd-b5e2249a2353] succeeded in 0.0015s: None",
        "request 62812345-6789-4012-8345-678901234567 done",
        "digest a0812345678901bcdef0123456789abcdef01234 key 3174014507900001a2b3c4d5e6f7a8b9",
        "epoch 1765778400.0812345678",
        "invoice 42 enrollment 3174014 order INV-202612-000007 task 8da4919325ec",
        "at 2026-12-06 08:24:44,746 took 0.6281234567s",
    ],
)
def test_durations_amounts_ids_and_timestamps_are_not_redacted(capture, text):
    assert redact(text) == text
    logger, stream = capture
    logger.info("%s", text)
    assert text in stream.getvalue()


@hypothesis_settings(max_examples=500, deadline=None)
@given(st.uuids())
def test_no_uuid_is_ever_redacted(value):
    for text in (str(value), value.hex, f"task[{value}] x", f"id={value.hex}."):
        assert redact(text) == text


def test_a_nik_or_phone_beside_a_hex_id_is_still_redacted():
    line = f"task[b9e24f62-8123-4567-b3dd-b5e2249a2353] nik {NIK} to 0812-3456-7890 key a0812345678901bcdef0123456789abcdef01234"
    assert redact(line) == (
        "task[b9e24f62-8123-4567-b3dd-b5e2249a2353] nik [NIK] to [PHONE] key a0812345678901bcdef0123456789abcdef01234"
    )
    # Digits glued to letters that are not hex, or too few hex letters for an id, are still read.
    assert redact(f"nik{NIK} hp081234567890 x{NIK}y") == "nik[NIK] hp[PHONE] x[NIK]y"
    assert redact(f"{NIK}-0812-3456-7890") == "[NIK]-[PHONE]"


def test_a_nik_and_a_phone_beside_a_duration_are_still_redacted():
    line = f"sent to 0812-3456-7890 for nik {NIK} in 0.004738214000099106s, amount Rp12.081.234.567"
    assert redact(line) == "sent to [PHONE] for nik [NIK] in 0.004738214000099106s, amount Rp12.081.234.567"
    assert redact(f"{NIK}.0 and 0.{NIK[:15]}") == f"[NIK].0 and 0.{NIK[:15]}"


def test_make_run_without_redis_logs_no_kombu_warning_and_no_false_nik(tmp_path):
    """`make run`'s default (settings local, REDIS_URL unset: SQLite, tasks in-process): migrate and
    `seed --demo`, whose messages are sent by in-process tasks. kombu warned "No hostname was
    supplied. Reverting to default 'localhost'" at the first task, and each task's duration came out
    as `succeeded in 0.[NIK]s`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               LOG_LEVEL="INFO", NOTIFY_SMS_BACKEND="null")
    root = Path(__file__).resolve().parents[2]
    output = ""
    for command in (["migrate", "--noinput", "-v0"], ["seed", "--demo"]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=root, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        output += done.stdout + done.stderr
    tasks = [line for line in output.splitlines() if "celery.app.trace" in line and " succeeded in " in line]
    assert tasks, output  # the seed's messages did go through in-process tasks
    assert "No hostname was supplied" not in output
    assert "kombu" not in output
    assert "[NIK]" not in output and "[PHONE]" not in output, output
