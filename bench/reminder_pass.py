"""QUALITY.md Performance 1: the daily reminder pass (`reminders_plan`) against the same rows
inserted by hand-written SQL.

The baseline is one `INSERT … SELECT … ON CONFLICT DO NOTHING` into `bench_reminder_baseline`, a
copy of `contributions_reminder` with the same columns, defaults, indexes, unique constraint and
foreign keys (LIKE … INCLUDING ALL, plus the foreign keys, which LIKE does not copy). It selects the
same rows with plain equality joins: members joined to the rules by paid_through (never-paid
ones in a second branch) and to their approved sponsorship, the payer's channels unnested with a
LATERAL VALUES list, "has a device" as a hash join on the distinct device owners, and the members
without a payer as an anti-join, with their last ended sponsorship from a grouped list. The rule rows themselves (which paid_through
gets which reminder on that day) come from `rules_for(day)`, so both statements answer the same
question; the run checks that both tables end with exactly the same rows.

The same statement into `bench_reminder_baseline_nofk` (the literal LIKE … INCLUDING ALL copy, no
foreign keys) is reported too, for information: the foreign-key checks of 1 M+ inserted rows are
about half of the pass, and that share belongs to the table, not to the query.

Each statement runs on a warm cache, after TRUNCATE and CHECKPOINT, three times, interleaved
(no-FK baseline, baseline, app, …); the median is reported. Then the second pass on the same day.
"""

import time

from django.db import connection

from bench.common import figure, info, median, verdict

BASELINE_TABLE = "bench_reminder_baseline"
# The literal `LIKE … INCLUDING ALL` copy, without foreign keys: shows what the FK checks cost.
NO_FK_TABLE = "bench_reminder_baseline_nofk"
COLUMNS = (
    "enrollment_id, user_id, kind, channel, month, due_date, status, respect_quiet_hours, attempts, "
    "provider_message_id, last_error, created_at, updated_at"
)


def create_baseline_tables() -> None:
    with connection.cursor() as cur:
        for table in (BASELINE_TABLE, NO_FK_TABLE):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {table} (LIKE contributions_reminder INCLUDING ALL)")
        cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'contributions_reminder'::regclass AND contype = 'f'"
        )
        for (definition,) in cur.fetchall():
            cur.execute(f"ALTER TABLE {BASELINE_TABLE} ADD {definition}")


_EMPTY = {"character varying": "''", "text": "''", "smallint": "0", "integer": "0", "bigint": "0", "boolean": "false"}


def _other_columns() -> list[tuple[str, str]]:
    """Required columns of contributions_reminder the statement below does not name (the app's schema
    moves): each gets its type's empty value, as the app fills them ('' or 0)."""
    named = {c.strip() for c in COLUMNS.split(",")}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'contributions_reminder' "
            "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' ORDER BY ordinal_position"
        )
        rows = cur.fetchall()
    missing = [(name, kind) for name, kind in rows if name not in named]
    unknown = [name for name, kind in missing if kind not in _EMPTY]
    if unknown:
        raise RuntimeError(f"bench: contributions_reminder has new required columns {unknown}: extend reminder_pass.py")
    return [(name, _EMPTY[kind]) for name, kind in missing]


def baseline_sql(day, table: str = BASELINE_TABLE):
    """The hand-written statement for `day` into `table`, and its parameters."""
    from contributions.reminders import rules_for
    from registration.coverage import add_months

    other = _other_columns()
    other_names = "".join(f", {name}" for name, _ in other)
    other_values = "".join(f", {value}" for _, value in other)

    rules = rules_for(day)
    values = ", ".join(
        ["(%s::text, %s::date, %s::boolean, %s::date, %s::date, %s::boolean, %s::boolean, %s::boolean)"] * len(rules)
    )
    params: list = []
    for r in rules:
        params += [str(r.kind), r.paid_through, r.allow_never_paid, r.month, r.due, r.notify_worker, r.needs_prepaid,
                   r.no_payer]
    params.append(add_months(day.replace(day=1), -1))
    sql = f"""
WITH rules (kind, paid_through, allow_never_paid, month, due_date, notify_worker, needs_prepaid, no_payer)
    AS (VALUES {values})
INSERT INTO {table} ({COLUMNS}{other_names})
SELECT t.id, t.sponsor_id, t.kind, c.channel, t.month, t.due_date, 'planned', true, 0, '', '', now(), now(){other_values}
FROM (
    SELECT e.id, e.sponsor_id, e.relationship, m.id AS member_id, r.kind, r.month, r.due_date, r.notify_worker,
           r.needs_prepaid, r.paid_through
    FROM registration_member m JOIN rules r ON r.paid_through = m.paid_through AND NOT r.no_payer
    JOIN registration_enrollment e ON e.member_id = m.id AND e.status = 'approved'
  UNION ALL
    SELECT e.id, e.sponsor_id, e.relationship, m.id, r.kind, r.month, r.due_date, r.notify_worker,
           r.needs_prepaid, r.paid_through
    FROM registration_member m JOIN rules r ON r.allow_never_paid
    JOIN registration_enrollment e ON e.member_id = m.id AND e.status = 'approved'
    WHERE m.paid_through IS NULL
) t
JOIN sponsors_user u ON u.id = t.sponsor_id
LEFT JOIN (SELECT DISTINCT user_id FROM sponsors_device) d ON d.user_id = t.sponsor_id
CROSS JOIN LATERAL (VALUES
    ('sms', u.remind_by_sms),
    ('whatsapp', u.remind_by_whatsapp AND u.whatsapp_opt_in_at IS NOT NULL),
    ('push', u.remind_by_push AND d.user_id IS NOT NULL),
    ('inbox', true),
    ('worker_sms', t.notify_worker AND t.relationship <> 'self')
) c (channel, wanted)
WHERE c.wanted
  AND (NOT t.needs_prepaid OR EXISTS (
        SELECT 1 FROM contributions_coveragemonth a
        JOIN contributions_coveragemonth b
          ON b.invoice_id = a.invoice_id AND b.member_id = a.member_id AND b.month = %s
        WHERE a.member_id = t.member_id AND a.month = t.paid_through))
UNION ALL
SELECT ended.id, NULL, r.kind, 'worker_sms', r.month, r.due_date, 'planned', true, 0, '', '', now(), now(){other_values}
FROM rules r
JOIN registration_member m ON r.no_payer AND m.paid_through = r.paid_through
JOIN (SELECT member_id, max(id) AS id FROM registration_enrollment
      WHERE status = 'ended' AND approved_at IS NOT NULL GROUP BY member_id) ended ON ended.member_id = m.id
LEFT JOIN registration_enrollment payer ON payer.member_id = m.id AND payer.status = 'approved'
WHERE payer.id IS NULL
ON CONFLICT (enrollment_id, due_date, kind, channel) DO NOTHING
"""
    return sql, params


def _fresh(table: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {table}")
        cur.execute("CHECKPOINT")


def _time_baseline(day, table: str = BASELINE_TABLE) -> tuple[float, int]:
    sql, params = baseline_sql(day, table)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    return time.perf_counter() - started, rows


def _time_app(day) -> tuple[float, int]:
    from contributions.reminders import reminders_plan

    started = time.perf_counter()
    rows = reminders_plan(day=day)
    return time.perf_counter() - started, rows


def same_rows() -> bool:
    key = "enrollment_id, user_id, kind, channel, month, due_date, status"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {key} FROM contributions_reminder EXCEPT ALL "
            f"SELECT {key} FROM {BASELINE_TABLE}) x), (SELECT count(*) FROM (SELECT {key} FROM {BASELINE_TABLE} "
            f"EXCEPT ALL SELECT {key} FROM contributions_reminder) y)"
        )
        missing, extra = cur.fetchone()
    return missing == 0 and extra == 0


def run(day, *, repeat: int = 3) -> dict:
    connection.ensure_connection()
    create_baseline_tables()
    baseline_times, app_times, no_fk_times = [], [], []
    rows_baseline = rows_app = None
    for attempt in range(repeat):
        _fresh(NO_FK_TABLE)
        seconds, _ = _time_baseline(day, NO_FK_TABLE)
        no_fk_times.append(seconds)
        info(f"reminder pass, baseline SQL without foreign keys, run {attempt + 1}: {seconds:.2f} s")
        _fresh(BASELINE_TABLE)
        seconds, rows_baseline = _time_baseline(day)
        baseline_times.append(seconds)
        info(f"reminder pass, baseline SQL, run {attempt + 1}: {seconds:.2f} s, {rows_baseline:,} rows")
        _fresh("contributions_reminder")
        seconds, rows_app = _time_app(day)
        app_times.append(seconds)
        info(f"reminder pass, reminders_plan, run {attempt + 1}: {seconds:.2f} s, {rows_app:,} rows")
    base = median(baseline_times)
    app = median(app_times)
    runs = baseline_times + app_times
    noisy = "" if max(runs) / min(runs) <= 1.35 else (
        f"; NOISY: runs from {min(runs):.1f} to {max(runs):.1f} s, other work shared the machine: rerun")
    figure("reminder_pass_baseline_sql", base, "s",
           f"baseline; {rows_baseline:,} rows; median of {repeat}: " + ", ".join(f"{t:.2f}" for t in baseline_times))
    ratio = app / base
    figure("reminder_pass", app, "s",
           f"ratio {ratio:.2f} vs baseline; {rows_app:,} rows; median of {repeat}: "
           + ", ".join(f"{t:.2f}" for t in app_times) + f"{noisy}; target <= 2.00: {verdict(ratio <= 2.0)}")
    no_fk = median(no_fk_times)
    figure("reminder_pass_baseline_sql_no_fk", no_fk, "s",
           f"informational: the same SQL into a copy without the 2 foreign keys; reminders_plan is "
           f"{app / no_fk:.2f}x this; median of {repeat}: " + ", ".join(f"{t:.2f}" for t in no_fk_times))
    identical = same_rows()
    figure("reminder_rows_match_baseline", "yes" if identical else "NO", "",
           f"{rows_app:,} app rows vs {rows_baseline:,} baseline rows")

    # The second pass on the same day: everything conflicts, nothing is written.
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    second_base, second_base_rows = _time_baseline(day)
    second, second_rows = _time_app(day)
    figure("reminder_second_pass_baseline_sql", second_base, "s",
           f"baseline; {second_base_rows} rows inserted")
    figure("reminder_second_pass", second, "s",
           f"ratio {second / second_base:.2f} vs baseline second pass, {second / base:.2f} vs baseline first pass; "
           f"{second_rows} rows inserted; target 0 rows: {verdict(second_rows == 0)}")
    return {
        "baseline_seconds": baseline_times, "app_seconds": app_times, "rows": rows_app,
        "no_fk_seconds": no_fk_times, "second_pass_seconds": second, "second_pass_rows": second_rows, "identical": identical,
    }
