"""The 1 M-enrollment data set: built with COPY, kept between runs, rebuilt only when it changes.

What it holds (all deterministic, from a fixed random seed):
- ~180 k sponsor accounts, each with 1 to 10 workers (uniform), reminder channel mixes (SMS ~80 %,
  push ~70 %, WhatsApp ~25 % of whom ~70 % opted in), ~10 % English, ~55 % with a push device;
- 1,000,000 APPROVED enrollments (sponsorships), each of its own member: sectors from the seeded
  occupations, a `self` enrollment for ~10 % of sponsors, the member's paid_through spread over the
  last 5 and the next 3 months (~8 % never paid), a unique 11-digit KPJ number, a unique blind index
  (nik_hash) and a constant placeholder ciphertext;
- ~18 k more members whose only sponsorship ended (one more worker of ~10 % of the sponsors), with
  the same spread of paid_through: the reminder pass's notice to members without a payer;
- 4,000 pending invoices (1 or 2 workers each, 1 or 3 months, priced by the app's RateBook) with
  their InvoiceMonth lines and payment-simulator transactions.

The generator is bench/generate.py. `bench_meta` records the data version: a hash of the
generator's source and the current month (WIB), since paid_through is relative to it. Another
version drops the database and rebuilds it. `reset()` puts back what a run changed (see there), so
every run starts from the same rows.
"""

import datetime
import hashlib
import time
from pathlib import Path

from bench import generate
from bench.common import BENCH_DATABASE_URL, info, manage


def data_version(anchor: datetime.date) -> str:
    source = Path(generate.__file__).read_bytes()
    return hashlib.sha256(source + f"|{anchor:%Y-%m}|{generate.ENROLLMENTS}".encode()).hexdigest()[:16]


def _admin_dsn() -> str:
    return BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"


def _db_name() -> str:
    return BENCH_DATABASE_URL.rsplit("/", 1)[1]


def _read_meta() -> dict[str, str] | None:
    import psycopg

    try:
        with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()[0]
            if not exists:
                return {}
            return dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _create_database(drop: bool, why: str = "the data version changed") -> None:
    import psycopg

    name = _db_name()
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        if drop:
            info(f"dropping database {name} ({why})")
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            info(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def ensure(anchor: datetime.date, *, rebuild: bool = False) -> dict:
    """Create, migrate and fill the benchmark database unless it already holds this data version.

    Returns {"built": bool, "seconds": float, "version": str, "meta": {...}}.
    """
    version = data_version(anchor)
    meta = _read_meta()
    fresh = meta is None
    stale = rebuild or (meta is not None and meta.get("data_version") != version)
    if fresh or stale:
        _create_database(drop=stale and not fresh, why="--rebuild" if rebuild else "the data version changed")
    info("manage.py migrate, manage.py seed")
    manage("migrate", "--noinput")
    manage("seed")
    meta = _read_meta() or {}
    if meta.get("data_version") == version:
        return {"built": False, "seconds": float(meta.get("build_seconds", "nan")), "version": version, "meta": meta}
    if meta:
        # Something else is there (a build that did not finish): rebuild.
        _create_database(drop=True, why="an unfinished build")
        manage("migrate", "--noinput")
        manage("seed")
    started = time.perf_counter()
    generate.build(anchor)
    seconds = time.perf_counter() - started
    import psycopg

    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('data_version', %s), ('build_seconds', %s), "
            "('built_at', %s), ('anchor_month', %s)",
            [version, f"{seconds:.1f}", datetime.datetime.now().isoformat(timespec="seconds"), f"{anchor:%Y-%m}"],
        )
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
    return {"built": True, "seconds": seconds, "version": version, "meta": meta}


# --- Reset --------------------------------------------------------------------------------------------


def reset() -> None:
    """Undo what a run changes, so the next one starts from the generated rows.

    Reminders, payments, coverage rows, notifications, inbox and outbox rows, autopay links and
    charges are never generated: emptied. Invoices (with their idempotency keys), lines and simulator
    rows the API phase created are deleted; the generated invoices go back to pending and their
    members to their generated coverage.
    """
    import psycopg

    with psycopg.connect(BENCH_DATABASE_URL) as conn, conn.cursor() as cur:
        meta = dict(cur.execute("SELECT key, value FROM bench_meta").fetchall())
        cur.execute(
            "TRUNCATE contributions_reminder, contributions_coveragemonth, contributions_payment, "
            "contributions_gatewaynotification, notifications_inboxitem, "
            "notifications_message, contributions_autopaycharge, contributions_autopayoptout"
        )
        cur.execute("DELETE FROM contributions_autopaymandate")
        cur.execute("DROP TABLE IF EXISTS bench_reminder_baseline, bench_reminder_baseline_nofk, bench_autopay_baseline")
        cur.execute("DELETE FROM contributions_invoicemonth WHERE id > %s", [int(meta["max_invoicemonth_id"])])
        cur.execute("DELETE FROM contributions_simulatortransaction WHERE id > %s",
                    [int(meta["max_simulatortransaction_id"])])
        cur.execute("DELETE FROM contributions_invoice WHERE id > %s", [int(meta["max_invoice_id"])])
        cur.execute(
            "UPDATE contributions_invoice SET status = 'pending', paid_at = NULL, needs_review_at = NULL, "
            "review_reason = '', expired_at = NULL, cancelled_at = NULL WHERE status <> 'pending'"
        )
        cur.execute(
            "UPDATE contributions_simulatortransaction SET transaction_status = 'pending' "
            "WHERE transaction_status <> 'pending'"
        )
        cur.execute(
            "UPDATE registration_member m SET paid_through = s.paid_through, coverage_started = s.coverage_started "
            "FROM bench_member_snapshot s WHERE m.id = s.id AND (m.paid_through IS DISTINCT FROM s.paid_through "
            "OR m.coverage_started IS DISTINCT FROM s.coverage_started)"
        )
        conn.commit()
