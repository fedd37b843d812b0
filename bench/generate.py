"""The generator of the 1 M-enrollment data set (COPY). Its source is the data version: any change
to this file rebuilds the data set (bench/data.py). What it holds is described in bench/data.py.
"""

import datetime
import hashlib
import io
import os
import random
import time

from bench.common import BENCH_DATABASE_URL, info

# The QUALITY.md figures are at 1 M; BENCH_ENROLLMENTS makes a small set that proves the benchmark
# runs (its figures mean little).
ENROLLMENTS = int(os.environ.get("BENCH_ENROLLMENTS", 1_000_000))
# Sponsors who came and went: of about 10 % of the sponsors, one more worker whose sponsorship ended
# and whom nobody took over (a member with an ended sponsorship only: the reminder pass's notice to
# members without a payer reads them).
ENDED_SHARE = 0.10
PENDING_INVOICES = min(4_000, ENROLLMENTS // 250)
SEED = 20260108

# paid_through, in months relative to the current month C (None: never paid), and its weight.
PAID_THROUGH_SPREAD = [
    (None, 8), (-5, 5), (-4, 6), (-3, 7), (-2, 9), (-1, 20), (0, 22), (1, 11), (2, 7), (3, 5),
]
RELATIONSHIPS = [("household_helper", 55), ("driver", 20), ("other", 25)]
OCCUPATION_WEIGHTS = {
    "household_assistant": 40, "private_driver": 20, "gardener": 10, "caregiver": 12,
    "security_guard": 10, "other": 8,
}
FIRST_NAMES = [
    "Siti", "Sri", "Dewi", "Ani", "Wulan", "Rina", "Nur", "Eka", "Budi", "Agus", "Joko", "Slamet",
    "Bambang", "Hendra", "Rudi", "Yanti", "Lestari", "Ratna", "Asep", "Dedi", "Made", "Ketut", "Putu",
    "Wayan", "Ahmad", "Muhammad", "Fitri", "Indah", "Rahmat", "Yusuf",
]
LAST_NAMES = [
    "Rahayu", "Wati", "Lestari", "Susanti", "Hidayat", "Saputra", "Setiawan", "Pratama", "Kurniawan",
    "Nugroho", "Santoso", "Wijaya", "Gunawan", "Hartono", "Siregar", "Nasution", "Simanjuntak",
    "Sihombing", "Harahap", "Suryadi", "Permana", "Firmansyah", "Utami", "Handayani",
]
STREETS = ["Mawar", "Melati", "Kenanga", "Anggrek", "Cempaka", "Flamboyan", "Dahlia", "Sudirman", "Merdeka"]
# What a Fernet token of a NIK looks like; the benchmark never decrypts it (the API shows nik_masked).
NIK_PLACEHOLDER = "gAAAAABpbenchbenchbenchbenchplaceholderciphertextXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX=="
TZ = "+07"


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + (month.month - 1) + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def _weighted(rng: random.Random, pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return lambda: rng.choices(values, weights)[0]


def _ts(day: datetime.date, seconds: int) -> str:
    return f"{day.isoformat()} {seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{TZ}"


class _Copy:
    """Text-format COPY on a connection of its own (one COPY at a time per connection), fed in chunks.
    Our values never hold tabs, newlines or backslashes, so they need no escaping."""

    def __init__(self, table: str, columns: list[str]):
        import psycopg

        self.conn = psycopg.connect(BENCH_DATABASE_URL)
        self.cursor = self.conn.cursor()
        # The rows are generated consistent: foreign-key triggers are skipped while copying
        # (session_replication_role); unique indexes and check constraints still check every row.
        self.cursor.execute("SET session_replication_role = replica")
        self.cursor.execute("SET synchronous_commit = off")
        self.copy_cm = self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self.copy = self.copy_cm.__enter__()
        self.buffer = io.StringIO()
        self.size = 0
        self.rows = 0

    def row(self, values) -> None:
        self.buffer.write("\t".join("\\N" if v is None else str(v) for v in values))
        self.buffer.write("\n")
        self.size += 1
        self.rows += 1
        if self.size >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.size:
            self.copy.write(self.buffer.getvalue())
            self.buffer = io.StringIO()
            self.size = 0

    def close(self) -> None:
        self.flush()
        self.copy_cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()


USER_COLUMNS = [
    "id", "password", "last_login", "is_superuser", "phone", "full_name", "email", "phone_verified_at",
    "language", "remind_by_sms", "remind_by_whatsapp", "remind_by_push", "whatsapp_opt_in_at",
    "is_active", "is_staff", "date_joined",
]
DEVICE_COLUMNS = ["id", "created_at", "updated_at", "token", "platform", "user_id"]
MEMBER_COLUMNS = [
    "id", "created_at", "updated_at", "nik_encrypted", "nik_hash", "nik_last4", "birth_date", "gender",
    "kpj_number", "registered_at", "phone", "approved_sponsorships", "paid_through", "coverage_started",
]
ENROLLMENT_COLUMNS = [
    "id", "created_at", "updated_at", "sponsor_id", "member_id", "relationship", "status", "full_name", "phone",
    "address", "occupation_id", "income_level_id", "jht", "consent_method", "consented_at",
    "consent_notice_version", "review_flags", "reviewed_by_id", "approved_at", "rejected_at", "rejection_reason",
    "expired_at", "ended_at", "end_reason", "kpj_number", "ended_paid_through", "ended_coverage_started",
]
INVOICE_COLUMNS = [
    "id", "created_at", "updated_at", "number", "status", "total", "gateway", "va_number",
    "gateway_reference", "expires_at", "paid_at", "expired_at", "cancelled_at", "needs_review_at",
    "review_reason", "refunded_at", "refund_note", "refunded_by_id", "sponsor_id", "idempotency_key", "request_hash",
]
INVOICE_MONTH_COLUMNS = [
    "id", "month", "jkk", "jkm", "jht", "total", "adjustment", "enrollment_id", "invoice_id", "pending",
]
SIMULATOR_COLUMNS = [
    "id", "order_id", "transaction_id", "va_number", "gross_amount", "transaction_status", "updated_at", "created_at",
]


def build(anchor: datetime.date) -> None:
    """Fill the (migrated, seeded, otherwise empty) database. `anchor` is today (WIB)."""
    import psycopg

    from contributions.pricing import RateBook
    from registration.coverage import coverage_for
    from registration.models import Occupation

    rng = random.Random(SEED)
    current = anchor.replace(day=1)
    sectors = dict(Occupation.objects.values_list("code", "sector"))
    occupations = [(code, OCCUPATION_WEIGHTS.get(code, 5)) for code in sorted(sectors)]
    pick_occupation = _weighted(rng, occupations)
    pick_relationship = _weighted(rng, RELATIONSHIPS)
    pick_offset = _weighted(rng, PAID_THROUGH_SPREAD)
    days = [current - datetime.timedelta(days=n) for n in range(30, 400)]
    started = time.perf_counter()

    users = _Copy("sponsors_user", USER_COLUMNS)
    devices = _Copy("sponsors_device", DEVICE_COLUMNS)
    members = _Copy("registration_member", MEMBER_COLUMNS)
    enrollments = _Copy("registration_enrollment", ENROLLMENT_COLUMNS)
    approved_count = 0
    row_id = 0  # a member and its one sponsorship share their id
    device_id = 0
    user_id = 0
    # (sponsor id, [(enrollment id, paid_through, occupation, jht)]) kept for invoices.
    sponsors_workers: dict[int, list[tuple]] = {}

    def person(created: str, created_day: datetime.date, phone: str, name: str, relationship: str,
               occupation: str, jht: bool, paid_through, coverage_started, ended: bool) -> int:
        """A member and one sponsorship of it (approved, or ended with the coverage it had then)."""
        nonlocal row_id
        row_id += 1
        birth = datetime.date(rng.randint(1962, 2007), rng.randint(1, 12), rng.randint(1, 28))
        kpj = f"{26_000_000_000 + row_id}"
        members.row([
            row_id, created, created, NIK_PLACEHOLDER,
            hashlib.blake2b(f"bench-nik-{row_id}".encode(), digest_size=32).hexdigest(),
            f"{rng.randrange(10000):04d}", birth.isoformat(), "F" if rng.random() < 0.6 else "M", kpj,
            created_day.isoformat(), phone, 1, paid_through, coverage_started,
        ])
        enrollments.row([
            row_id, created, created, user_id, row_id, relationship, "ended" if ended else "approved", name, phone,
            f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 200)}", occupation, 1_000_000, "t" if jht else "f",
            "account_holder" if relationship == "self" else "sms_otp", created, "2026-01", "[]", None, created,
            None, "", None, created if ended else None, "sponsor_ended" if ended else "", kpj,
            paid_through if ended else None, coverage_started if ended else None,
        ])
        return row_id

    while approved_count < ENROLLMENTS:
        user_id += 1
        joined_day = rng.choice(days)
        joined = _ts(joined_day, rng.randrange(86400))
        phone = f"+6281{user_id:09d}"
        sms = rng.random() < 0.8
        push = rng.random() < 0.7
        whatsapp = rng.random() < 0.25
        opted_in = _ts(joined_day, rng.randrange(86400)) if (whatsapp and rng.random() < 0.7) or rng.random() < 0.03 else None
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        users.row([
            user_id, "!bench-unusable-password", None, "f", phone, name, "", joined,
            "en" if rng.random() < 0.1 else "id", "t" if sms else "f", "t" if whatsapp else "f",
            "t" if push else "f", opted_in, "t", "f", joined,
        ])
        if rng.random() < 0.55:
            for _ in range(1 if rng.random() < 0.85 else 2):
                device_id += 1
                devices.row([
                    device_id, joined, joined, f"bench-fcm-token-{device_id:08d}-{rng.getrandbits(64):016x}",
                    "android" if rng.random() < 0.85 else "ios", user_id,
                ])
        count = min(rng.randint(1, 10), ENROLLMENTS - approved_count)
        has_self = rng.random() < 0.10
        workers = []
        for index in range(count + (1 if rng.random() < ENDED_SHARE else 0)):
            ended = index == count  # the one more worker, whose sponsorship ended
            relationship = "self" if (has_self and index == 0) else pick_relationship()
            occupation = pick_occupation()
            offset = pick_offset()
            paid_through = None if offset is None else add_months(current, offset)
            started_months = rng.randint(0, 18)
            coverage_started = None if paid_through is None else add_months(paid_through, -started_months)
            created_day = min(joined_day + datetime.timedelta(days=rng.randrange(20)), anchor)
            created = _ts(created_day, rng.randrange(86400))
            jht = rng.random() < 0.8
            worker_name = name if relationship == "self" else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            worker_phone = phone if relationship == "self" else f"+6285{row_id + 1:09d}"
            made = person(created, created_day, worker_phone, worker_name, relationship, occupation, jht,
                          paid_through, coverage_started, ended)
            if not ended:
                approved_count += 1
                workers.append((made, paid_through, occupation, jht))
        sponsors_workers[user_id] = workers
    users.close()
    devices.close()
    members.close()
    enrollments.close()
    info(f"copied {users.rows:,} sponsors, {devices.rows:,} devices, {members.rows:,} members, {enrollments.rows:,} "
         f"enrollments ({approved_count:,} approved) in {time.perf_counter() - started:.1f} s")

    # Pending invoices for 4,000 random sponsors, priced as the app prices them.
    book = RateBook()
    invoices = _Copy("contributions_invoice", INVOICE_COLUMNS)
    lines = _Copy("contributions_invoicemonth", INVOICE_MONTH_COLUMNS)
    ledger = _Copy("contributions_simulatortransaction", SIMULATOR_COLUMNS)
    snapshot: list[tuple] = []
    line_id = 0
    created = _ts(anchor, 3600)
    expires = _ts(anchor + datetime.timedelta(days=30), 3600)
    for invoice_id, sponsor in enumerate(sorted(rng.sample(sorted(sponsors_workers), PENDING_INVOICES)), start=1):
        workers = sponsors_workers[sponsor]
        chosen = rng.sample(workers, min(len(workers), 1 if rng.random() < 0.7 else 2))
        months = 1 if rng.random() < 0.6 else 3
        total = 0
        for enrollment, paid_through, occupation, jht in chosen:
            first = coverage_for(paid_through=paid_through, today=anchor, payable=True).first_payable_month
            for offset in range(months):
                month = add_months(first, offset)
                price = book.price(month=month, sector=sectors[occupation], income_level=1_000_000, jht=jht)
                line_id += 1
                lines.row([line_id, month, price.jkk, price.jkm, price.jht, price.total, price.adjustment or "",
                           enrollment, invoice_id, True if offset == 0 else None])  # InvoiceMonth.pending
                total += price.total
            snapshot.append((enrollment, paid_through))
        number = f"INV-{anchor:%Y%m}-{invoice_id:06d}"
        va = f"8808{rng.randrange(10**12):012d}"
        reference = f"{rng.getrandbits(128):032x}"
        invoices.row([invoice_id, created, created, number, "pending", total, "simulator", va, reference, expires,
                      None, None, None, None, "", None, "", None, sponsor, None, ""])
        ledger.row([invoice_id, number, reference, va, total, "pending", created, created])
    invoices.close()
    lines.close()
    ledger.close()

    with psycopg.connect(BENCH_DATABASE_URL) as conn, conn.cursor() as cur:
        # What a run may change and reset() puts back: every member's coverage (a run credits the
        # generated invoices' members, and autopay the members of any linked payer's workers; a
        # snapshot of the invoiced members only left autopay's months paid for good, so each run had
        # fewer payers with anything to pay).
        cur.execute(
            "CREATE TABLE bench_member_snapshot (id bigint PRIMARY KEY, paid_through date, coverage_started date)"
        )
        cur.execute(
            "INSERT INTO bench_member_snapshot SELECT m.id, m.paid_through, m.coverage_started FROM registration_member m"
        )
        for table in ("sponsors_user", "sponsors_device", "registration_member", "registration_enrollment",
                      "contributions_invoice", "contributions_invoicemonth", "contributions_simulatortransaction"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        cur.execute(
            "INSERT INTO bench_meta (key, value) SELECT 'max_invoice_id', max(id)::text FROM contributions_invoice "
            "UNION ALL SELECT 'max_invoicemonth_id', max(id)::text FROM contributions_invoicemonth "
            "UNION ALL SELECT 'max_simulatortransaction_id', max(id)::text FROM contributions_simulatortransaction "
            "UNION ALL SELECT 'sponsors', count(*)::text FROM sponsors_user "
            "UNION ALL SELECT 'devices', count(*)::text FROM sponsors_device "
            "UNION ALL SELECT 'enrollments', count(*)::text FROM registration_enrollment WHERE status = 'approved' "
            "UNION ALL SELECT 'ended_enrollments', count(*)::text FROM registration_enrollment WHERE status = 'ended'"
        )
        conn.commit()
    info(f"copied {PENDING_INVOICES:,} pending invoices ({line_id:,} lines); VACUUM ANALYZE")
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    info(f"data set built in {time.perf_counter() - started:.1f} s")
