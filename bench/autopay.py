"""Issue 22: the autopay run at 1 M members, 10 % of the payers with autopay on.

- Planning (the charge day): `autopay_plan(day)`, the app's one INSERT … SELECT … ON CONFLICT DO
  NOTHING of the month's charges (one per linked payer), against the same rows inserted by a
  hand-written statement into `bench_autopay_baseline`, a copy of `contributions_autopaycharge` with
  its columns, defaults, indexes, unique constraint and foreign keys. Each runs after TRUNCATE and
  CHECKPOINT, three times, interleaved; the median is reported, and both tables must end with the same
  (payer, month) rows. Then the app's plan again on the same day: it inserts nothing.
- Charging: CHARGES planned charges (a random sample of the plan's payers that have a month to pay)
  handed by `autopay_dispatch` to a real Celery worker (`bench.celery_app`, prefork, 2 processes; the
  payment simulator is the gateway, in the benchmark's own database) in the app's batches
  (autopay.BATCH_SIZE). Each charge makes the month's invoice, charges the linked account and credits
  it (coverage rows, receipt, inbox, an SMS to each worker). The clock stops when none is planned,
  charging or waiting. The figure counts the sample's charges that ended `charged`: a payer skipped
  (nothing due: every worker paid through the month already, or on a pending invoice of the
  generated data) costs less than a charge and is not one. The baseline is the no-op Celery task of
  bench/dispatch.py in the same setup.
- With `--autopay-batches`, another sample of as many charges for each listed batch size, in the
  same run against the same no-op baseline (informational: the choice of autopay.BATCH_SIZE).
"""

import time

from django.db import connection

from bench.common import figure, info, median, verdict
from bench.dispatch import NOOP_TASKS, TIMEOUT, Worker, _noops, redis_clean

BASELINE_TABLE = "bench_autopay_baseline"
SHARE = 10  # one payer in SHARE has autopay on
CHARGES = 2_000
WARMUP_CHARGES = 100

_BASELINE_SQL = f"""
INSERT INTO {BASELINE_TABLE}
    (payer_id, month, status, attempts, failures, in_doubt, next_attempt_on, failure_reason, created_at, updated_at)
SELECT a.payer_id, %s, 'planned', 0, 0, FALSE, %s, '', now(), now()
FROM contributions_autopaymandate a
WHERE a.status IN ('active', 'failed')
ON CONFLICT (payer_id, month) DO NOTHING
"""


def link_payers() -> int:
    """Every SHARE-th payer with an approved worker links a (simulator) GoPay account."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE contributions_autopaycharge, contributions_autopayoptout")
        cur.execute("DELETE FROM contributions_autopaymandate")
        cur.execute(
            "INSERT INTO contributions_autopaymandate (payer_id, status, method, gateway, account_id, payment_token, "
            "account_masked, activation_url, fail_charges, linked_at, created_at, updated_at) "
            "SELECT u.id, 'active', 'gopay', 'simulator', 'bench-' || u.id, 'simulator-token', '****', '', FALSE, "
            "now(), now(), now() FROM sponsors_user u "
            f"WHERE u.id % {SHARE} = 0 AND EXISTS (SELECT 1 FROM registration_enrollment e "
            "WHERE e.sponsor_id = u.id AND e.status = 'approved')"
        )
        linked = cur.rowcount
        cur.execute("ANALYZE contributions_autopaymandate")
    return linked


def create_baseline_table() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cur.execute(f"CREATE TABLE {BASELINE_TABLE} (LIKE contributions_autopaycharge INCLUDING ALL)")
        cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'contributions_autopaycharge'::regclass AND contype = 'f'"
        )
        for (definition,) in cur.fetchall():
            cur.execute(f"ALTER TABLE {BASELINE_TABLE} ADD {definition}")


def _timed(statement) -> float:
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    started = time.perf_counter()
    statement()
    return time.perf_counter() - started


def _plan_app(day) -> int:
    from contributions.autopay import autopay_plan

    return autopay_plan(day=day)


def _plan_baseline(day) -> int:
    with connection.cursor() as cur:
        cur.execute(_BASELINE_SQL, [day.replace(day=1), day])
        return cur.rowcount


def plan(day, repeat: int) -> dict:
    create_baseline_table()
    app_times, baseline_times, rows = [], [], {}
    for _ in range(repeat):
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {BASELINE_TABLE}")
        baseline_times.append(_timed(lambda: rows.__setitem__("baseline", _plan_baseline(day))))
        with connection.cursor() as cur:
            cur.execute("TRUNCATE contributions_autopaycharge")
        app_times.append(_timed(lambda: rows.__setitem__("app", _plan_app(day))))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT count(*) FROM (SELECT payer_id, month FROM contributions_autopaycharge EXCEPT "
            f"SELECT payer_id, month FROM {BASELINE_TABLE}) a), (SELECT count(*) FROM (SELECT payer_id, month FROM "
            f"{BASELINE_TABLE} EXCEPT SELECT payer_id, month FROM contributions_autopaycharge) b)"
        )
        differ = sum(cur.fetchone())
    second = _timed(lambda: rows.__setitem__("second", _plan_app(day)))
    app, baseline = median(app_times), median(baseline_times)
    ratio = app / baseline
    figure("autopay_plan_baseline", baseline, "s", f"baseline; hand-written INSERT … SELECT of {rows['baseline']:,} charges "
           f"(runs: {', '.join(f'{t:.3f}' for t in baseline_times)})")
    figure("autopay_plan", app, "s", f"ratio {ratio:.2f} vs baseline; {rows['app']:,} charges, one per linked payer "
           f"(runs: {', '.join(f'{t:.3f}' for t in app_times)}); rows differing from the baseline: {differ}; "
           f"target <= 2.00: {verdict(ratio <= 2.0 and differ == 0)}")
    figure("autopay_plan_second", second, "s", f"the plan again on the same day inserted {rows['second']:,} rows")
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
    return {"app": app_times, "baseline": baseline_times, "rows": rows, "second": second, "differ": differ}


# A payer with a month to pay: one of its approved workers with autopay on, not on a pending invoice
# and not paid through the month (what services.invoices_create_month bills).
_DUE = """EXISTS (SELECT 1 FROM registration_enrollment e JOIN registration_member m ON m.id = e.member_id
    WHERE e.sponsor_id = c.payer_id AND e.status = 'approved'
    AND (m.paid_through IS NULL OR m.paid_through < c.month)
    AND NOT EXISTS (SELECT 1 FROM contributions_autopayoptout o WHERE o.enrollment_id = e.id)
    AND NOT EXISTS (SELECT 1 FROM contributions_invoicemonth b WHERE b.pending AND b.enrollment_id = e.id))"""


def _keep_sample(size: int) -> list[int]:
    """Leave `size` planned charges (a random sample of those with a month to pay); the rest of the
    plan is skipped (failure_reason '', so the next sample can take them). Returns the sample's ids."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT c.id FROM contributions_autopaycharge c WHERE c.status = 'planned' AND {_DUE} "
            "ORDER BY md5(c.id::text) LIMIT %s",
            [size],
        )
        sample = [row[0] for row in cur.fetchall()]
        cur.execute(
            "UPDATE contributions_autopaycharge SET status = 'skipped' WHERE status = 'planned' AND NOT (id = ANY(%s))",
            [sample],
        )
        cur.execute("VACUUM ANALYZE contributions_autopaycharge")
    return sample


def _outcome(sample: list[int]) -> tuple[dict, int]:
    """The sample's charges by status, and how many of their invoices are paid."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT status, count(*) FROM contributions_autopaycharge WHERE id = ANY(%s) GROUP BY status ORDER BY status",
            [sample],
        )
        statuses = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM contributions_invoice i JOIN contributions_autopaycharge c ON c.invoice_id = i.id "
                    "WHERE i.status = 'paid' AND c.id = ANY(%s)", [sample])
        return statuses, cur.fetchone()[0]


def _outbox_drain(worker: Worker) -> float:
    """Wait until the messages written so far (the SMS to the workers, sent by the same Celery
    worker after each batch's commit) are sent: the next sample starts on an idle worker. Returns
    the seconds waited."""
    from bench.common import wait_until

    def drained():
        worker.check()
        with connection.cursor() as cur:
            cur.execute("SELECT NOT EXISTS (SELECT 1 FROM notifications_message WHERE status IN ('pending', 'sending'))")
            return cur.fetchone()[0]

    started = time.perf_counter()
    wait_until(drained, timeout=TIMEOUT, interval=0.1, what="the outbox to drain")
    return time.perf_counter() - started


def _replan(day) -> None:
    """The skipped rest of the plan planned again, for the next sample."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM contributions_autopaycharge WHERE status = 'skipped' AND failure_reason = ''")
    _plan_app(day)


def _todo() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM contributions_autopaycharge WHERE status IN ('planned', 'charging', 'retry')")
        return cur.fetchone()[0]


def _charge(day, worker: Worker) -> tuple[float, int]:
    from bench.common import wait_until
    from contributions.autopay import autopay_dispatch

    started = time.perf_counter()
    handed = autopay_dispatch(day=day)

    def done():
        worker.check()
        return _todo() == 0

    wait_until(done, timeout=TIMEOUT, interval=0.1, what="the charges to be made")
    elapsed = time.perf_counter() - started
    info(f"{handed:,} charges handed on and made in {elapsed:.2f} s")
    return elapsed, handed


def charge(day, batch_sizes: list[int]) -> dict:
    """The sample's charges through the Celery worker, against the no-op task; then, for each of
    `batch_sizes`, another sample in batches of that size."""
    from contributions import autopay

    app_size = autopay.BATCH_SIZE
    redis_clean()
    worker = Worker()
    runs = []
    try:
        info("waiting for the celery worker (warm-up: 200 no-op tasks)")
        _noops(200, worker)
        noop_seconds = _noops(NOOP_TASKS, worker, queue="bench_noop")
        info(f"warm-up: {WARMUP_CHARGES} charges")
        _keep_sample(WARMUP_CHARGES)
        _charge(day, worker)
        _outbox_drain(worker)
        for size in [app_size, *[s for s in batch_sizes if s != app_size]]:
            _replan(day)
            sample = _keep_sample(CHARGES)
            autopay.BATCH_SIZE = size  # autopay_dispatch, in this process, cuts the batches
            try:
                seconds, handed = _charge(day, worker)
            finally:
                autopay.BATCH_SIZE = app_size
            sms_seconds = _outbox_drain(worker)
            statuses, paid = _outcome(sample)
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM notifications_message WHERE status = 'sent'")
                sent = cur.fetchone()[0]
            info(f"then their messages sent ({sent:,} in all so far) in {sms_seconds:.2f} s more")
            runs.append({"batch": size, "seconds": seconds, "handed": handed, "sample": len(sample),
                         "statuses": statuses, "paid": paid, "sms_seconds": sms_seconds})
    finally:
        worker.stop()
        redis_clean()
    noop_rate = NOOP_TASKS / noop_seconds
    for run in runs:
        charged = run["statuses"].get("charged", 0)
        rate = charged / run["seconds"]
        run["rate"], run["ratio"] = rate, rate / noop_rate
        note = (f"{run['handed']:,} charges handed on in batches of {run['batch']}, {charged:,} of them made in "
                f"{run['seconds']:.2f} s (each an invoice made, charged at the simulator and credited); "
                f"{run['paid']:,} invoices paid; the sample's statuses "
                + ", ".join(f"{k} {v:,}" for k, v in run["statuses"].items())
                + f"; their SMS (one to each worker, sent by the same worker after each batch's commit, "
                f"after the clock stops) took {run['sms_seconds']:.1f} s more")
        if run["batch"] == app_size:
            figure("autopay_charge_throughput", rate, "charges/s",
                   f"ratio {run['ratio']:.2f} vs the no-op task ({noop_rate:.0f} tasks/s); {note}; "
                   f"target >= 0.50: {verdict(run['ratio'] >= 0.5)}")
        else:
            figure(f"autopay_charge_throughput_batch_{run['batch']}", rate, "charges/s",
                   f"ratio {run['ratio']:.2f} vs the no-op task; informational: {note}")
    main = runs[0]
    return {"noop_seconds": noop_seconds, "charge_seconds": main["seconds"], "charges": main["statuses"].get("charged", 0),
            "handed": main["handed"], "paid": main["paid"], "statuses": main["statuses"], "runs": runs}


def run(day, repeat: int, batch_sizes: list[int] = ()) -> dict:
    """`day` is the month's charge day."""
    connection.ensure_connection()
    linked = link_payers()
    info(f"{linked:,} payers linked (one in {SHARE})")
    results = {"linked": linked, "plan": plan(day, repeat)}
    results["charge"] = charge(day, list(batch_sizes))
    return results
