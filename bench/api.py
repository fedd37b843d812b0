"""QUALITY.md Performance 3: the API under gunicorn, 16 concurrent clients on loopback, against GET /api/v1/me.

`gunicorn config.wsgi -w 2 --bind 127.0.0.1:<free port>`, settings local with DEBUG=false,
API_THROTTLING=false, the benchmark's database and Redis db. Access tokens are minted directly
(rest_framework_simplejwt AccessToken.for_user, 15-minute lifetime: longer than this phase).

Endpoints, each warmed up, then measured for a fixed time (bounded in count too):
- GET /api/v1/me (the baseline: authenticated, one query), measured interleaved with each of the
  others: baseline and endpoint alternate in slices of a quarter of the measured time each, in the
  order B E E B B E E B, and each endpoint's ratio is its requests per second over those of the
  baseline slices interleaved with it. The machine is shared and its speed drifts by tens of percent
  within seconds (docs/benchmarks.md); a drift then lands on both sides of a ratio instead of on one.
  The ratio of each adjacent pair of slices is reported too, as its spread;
- PATCH /api/v1/me setting each account's own language (informational: the cheapest authenticated
  write, one UPDATE and its commit; not a QUALITY.md target);
- GET /api/v1/workers as sponsors holding 10 workers (200 sponsors, round robin);
- POST /api/v1/invoices: every request a different approved worker without a pending invoice (of a
  sponsor without one), 1, 3 or 6 months, a fresh Idempotency-Key;
- POST /api/v1/payments/notifications/simulator: signed settlement notifications of the generated
  pending invoices, paid in the simulator's ledger beforehand: each invoice's first delivery, and 32
  requests later a repeat of it, alternating. The webhook stores each one and queues its processing
  (contributions.tasks.process_notification); no worker runs in this phase, the queue is emptied
  after it;
- POST /api/v1/invoices again, for the whole of a daily reminder pass (`reminders_plan` for the pass
  day, from an emptied reminder table) running in another connection. The pass's foreign-key checks
  run at its commit and hold every worker it reminds FOR KEY SHARE until the commit ends; about half
  of the invoiced workers are among them. The figure is the longest request: an app lock that
  conflicts with those checks waits out the commit (13.8 s at 1 M enrollments, before the app's row
  locks became FOR NO KEY UPDATE).
"""

import random
import socket
import threading
import time
import uuid
from typing import NamedTuple

from django.db import connection

from bench import load
from bench.common import VENV_BIN, Subprocess, figure, info, verdict, wait_until

CLIENTS = 16
WARMUP_SECONDS = 2.0
REPEAT_LAG = 32
P99_TARGET_MS = 100.0
# During the reminder pass: no request may wait for the pass's commit (which lasts tens of seconds).
PASS_STALL_LIMIT_MS = 2000.0
PASS_TIME_LIMIT_SECONDS = 900.0
# Baseline slices of one endpoint further apart than this: the machine was busy, say so.
NOISE_LIMIT = 1.25
# Baseline (B) and endpoint (E) slices, in this order: each side is as often first as second.
SLICE_ORDER = "BEEBBEEB"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn(Subprocess):
    def __init__(self, port: int, workers: int = 2):
        self.port = port
        super().__init__(
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "-w", str(workers), "--bind", f"127.0.0.1:{port}"],
            log_name="gunicorn.log",
        )

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError("gunicorn exited; see var/bench/gunicorn.log")
        try:
            return load.send(load.encode("GET", "/readyz", port=self.port), self.port, timeout=2)[0] == 200
        except OSError:
            return False


def _tokens(user_ids) -> tuple[dict[int, str], dict[int, str]]:
    """Access tokens and languages of these accounts."""
    from rest_framework_simplejwt.tokens import AccessToken

    from sponsors.models import User

    users = User.objects.in_bulk(list(set(user_ids)))
    return ({uid: str(AccessToken.for_user(user)) for uid, user in users.items()},
            {uid: user.language for uid, user in users.items()})


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def prepare(port: int) -> dict[str, list[bytes]]:
    """Every request of the phase, encoded before any clock starts."""
    from contributions.gateways.simulator import SimulatorGateway
    from contributions.models import SimulatorTransaction

    rng = random.Random(4)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT sponsor_id FROM registration_enrollment GROUP BY sponsor_id HAVING count(*) = 10 "
            "ORDER BY sponsor_id LIMIT 200"
        )
        ten = [row[0] for row in cur.fetchall()]
        # One worker per sponsor, of sponsors with no pending invoice at all.
        cur.execute(
            "SELECT DISTINCT ON (e.sponsor_id) e.id, e.sponsor_id FROM registration_enrollment e "
            "WHERE e.status = 'approved' AND mod(e.sponsor_id, 7) = 3 "
            "AND NOT EXISTS (SELECT 1 FROM contributions_invoice i WHERE i.sponsor_id = e.sponsor_id "
            "AND i.status = 'pending') ORDER BY e.sponsor_id, e.id LIMIT 20000"
        )
        billable = cur.fetchall()
        # The generated pending invoices: paid in the simulator's ledger, as the bank would.
        cur.execute(
            "UPDATE contributions_simulatortransaction s SET transaction_status = 'settlement', updated_at = now() "
            "FROM contributions_invoice i WHERE i.number = s.order_id AND i.status = 'pending'"
        )
    tokens, languages = _tokens(ten + [sponsor for _, sponsor in billable])
    me = [load.encode("GET", "/api/v1/me", headers=_auth(tokens[s]), port=port) for s in ten]
    # A trivial authenticated write (one UPDATE, one commit) that changes nothing: each its own language.
    me_patch = [load.encode("PATCH", "/api/v1/me", headers=_auth(tokens[s]), body={"language": languages[s]}, port=port)
                for s in ten]
    workers = [load.encode("GET", "/api/v1/workers", headers=_auth(tokens[s]), port=port) for s in ten]
    rng.shuffle(billable)
    invoices = [
        load.encode(
            "POST", "/api/v1/invoices", port=port,
            headers={**_auth(tokens[sponsor]), "Idempotency-Key": str(uuid.uuid4())},
            body={"items": [{"worker": worker, "months": rng.choices([1, 3, 6], [6, 3, 1])[0]}]},
        )
        for worker, sponsor in billable
    ]
    simulator = SimulatorGateway()
    rows = list(SimulatorTransaction.objects.filter(transaction_status="settlement").order_by("id"))
    firsts = [
        load.encode("POST", "/api/v1/payments/notifications/simulator", body=simulator.notification_for(row), port=port)
        for row in rows
    ]
    webhook = []
    for index, first in enumerate(firsts):
        webhook.append(first)
        if index >= REPEAT_LAG:
            webhook.append(firsts[index - REPEAT_LAG])
    return {"me": me, "me_patch": me_patch, "workers": workers, "invoices": invoices, "webhook": webhook,
            "invoice_workers": [worker for worker, _ in billable]}


def _check_workers_page(requests: list[bytes], port: int) -> int:
    import json

    status, body = load.send(requests[0], port)
    if status != 200:
        raise RuntimeError(f"GET /api/v1/workers answered {status}: {body[:300]!r}")
    return len(json.loads(body)["results"])


class Paired(NamedTuple):
    """An endpoint measured in slices interleaved with slices of the baseline, in SLICE_ORDER."""

    slices: list[tuple[str, load.Result]]  # ("B" or "E", its run)
    next_start: int  # the endpoint's next unused request (lists that are used up, not cycled)

    def side(self, which: str) -> list[load.Result]:
        return [result for side, result in self.slices if side == which]

    @property
    def result(self) -> load.Result:
        return _pooled(self.side("E"))

    @property
    def base(self) -> load.Result:
        return _pooled(self.side("B"))

    @property
    def pair_ratios(self) -> list[float]:
        """Endpoint over baseline, for each adjacent pair of slices (B E, E B, ...)."""
        pairs = zip(self.slices[0::2], self.slices[1::2])
        return [b.rps / a.rps if side == "E" else a.rps / b.rps for (_, a), (side, b) in pairs]

    @property
    def spread(self) -> str:
        return f"pairs of slices {min(self.pair_ratios):.2f}-{max(self.pair_ratios):.2f}"

    @property
    def noisy(self) -> bool:
        rates = [b.rps for b in self.side("B")]
        return max(rates) / max(min(rates), 1e-9) > NOISE_LIMIT


def _paired(name: str, baseline: list[bytes], requests: list[bytes], *, port: int, expect: int, cycle: bool,
            seconds: float) -> Paired:
    """The endpoint warmed up, then SLICE_ORDER: baseline and endpoint slices of seconds / 4 each."""
    warm, start = load.run(requests, port=port, expect=expect, clients=CLIENTS, seconds=WARMUP_SECONDS, cycle=cycle)
    if warm.unexpected:
        info(f"{name}: warm-up answers {warm.statuses}")
    piece = seconds / SLICE_ORDER.count("E")
    slices: list[tuple[str, load.Result]] = []
    for side in SLICE_ORDER:
        if side == "B":
            result, _ = load.run(baseline, port=port, expect=200, clients=CLIENTS, seconds=piece, cycle=True)
        else:
            result, start = load.run(requests, port=port, expect=expect, clients=CLIENTS, seconds=piece, cycle=cycle,
                                     start=start)
        slices.append((side, result))
    paired = Paired(slices, start)
    result, base = paired.result, paired.base
    info(f"{name}: {result.requests:,} requests in {result.seconds:.2f} s = {result.rps:,.0f} req/s, "
         f"p50 {result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms, answers {result.statuses}; "
         f"baseline slices " + ", ".join(f"{b.rps:,.0f}" for b in paired.side("B")) + f" req/s = {base.rps:,.0f}; "
         f"{paired.spread}" + (" (request list exhausted)" if any(r.exhausted for r in paired.side("E")) else ""))
    return paired


def _report(key: str, label: str, result: load.Result, base: load.Result, expect: int) -> dict:
    """Three figures: req/s (vs the baseline slices interleaved with it), p50, p99."""
    base_rps = base.rps
    ratio = result.rps / base_rps
    p50, p99 = result.percentile(50), result.percentile(99)
    errors = f"; {result.unexpected} answers other than {expect}: {result.statuses}" if result.unexpected else ""
    figure(f"api_{key}_rps", result.rps, "req/s",
           f"ratio {ratio:.2f} vs baseline {base_rps:,.0f} (slices interleaved with it); {label}; {result.requests:,} "
           f"requests in {result.seconds:.1f} s"
           f"{errors}; target >= 0.50: {verdict(ratio >= 0.5 and not result.unexpected)}")
    figure(f"api_{key}_p50", p50, "ms", f"ratio {p50 / base.percentile(50):.2f} vs baseline p50")
    figure(f"api_{key}_p99", p99, "ms",
           f"ratio {p99 / base.percentile(99):.2f} vs baseline p99; target < {P99_TARGET_MS:.0f} ms: "
           f"{verdict(p99 < P99_TARGET_MS)}")
    return {"rps": result.rps, "p50_ms": p50, "p99_ms": p99, "requests": result.requests, "seconds": result.seconds,
            "statuses": result.statuses, "ratio": ratio}


def _during_reminder_pass(requests: list[bytes], workers: list[int], *, port: int, start: int, day) -> dict:
    """POST /invoices (16 clients) from the start to the end of a reminder pass in another connection."""
    from contributions.reminders import reminders_plan

    with connection.cursor() as cur:
        cur.execute("TRUNCATE contributions_reminder")  # a first pass of the day: every due row inserted
    outcome: dict = {}

    def reminder_pass() -> None:
        began = time.perf_counter()
        try:
            outcome["rows"] = reminders_plan(day=day)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            outcome["error"] = exc
        finally:
            outcome["seconds"] = time.perf_counter() - began
            connection.close()

    thread = threading.Thread(target=reminder_pass, daemon=True)
    thread.start()
    result, end = load.run(requests, port=port, expect=201, clients=CLIENTS, seconds=PASS_TIME_LIMIT_SECONDS,
                           cycle=False, start=start, until=lambda: not thread.is_alive())
    thread.join(timeout=PASS_TIME_LIMIT_SECONDS)
    if thread.is_alive() or "error" in outcome:
        raise RuntimeError(f"bench: the reminder pass did not finish: {outcome.get('error', 'time limit')}")
    with connection.cursor() as cur:
        cur.execute("SELECT count(DISTINCT enrollment_id) FROM contributions_reminder WHERE enrollment_id = ANY(%s)",
                    [workers[start:end]])
        reminded = cur.fetchone()[0]
    info(f"POST /invoices during the reminder pass: {result.requests:,} requests in {result.seconds:.1f} s, "
         f"{reminded:,} for workers the pass reminded; max {max(result.latencies_ms, default=0):.0f} ms; "
         f"answers {result.statuses}; the pass planned {outcome['rows']:,} rows in {outcome['seconds']:.1f} s"
         + (" (request list exhausted)" if result.exhausted else ""))
    return {"result": result, "reminded": reminded, "rows": outcome["rows"], "pass_seconds": outcome["seconds"]}


def run(*, day, seconds: float = 8.0, gunicorn_workers: int = 2) -> dict:
    from bench.dispatch import redis_clean

    connection.ensure_connection()
    redis_clean()
    port = _free_port()
    requests = prepare(port)
    info(f"{len(requests['invoices']):,} invoice requests and {len(requests['webhook']):,} notifications prepared")
    server = Gunicorn(port, gunicorn_workers)
    try:
        wait_until(server.ready, timeout=60, interval=0.2, what="gunicorn to answer /readyz")
        page = _check_workers_page(requests["workers"], port)
        if page != 10:
            raise RuntimeError(f"bench: a 10-worker sponsor's list shows {page} workers")
        info(f"gunicorn on 127.0.0.1:{port}; a sponsor's worker list holds {page} workers")
        # The first slices also warm the fresh gunicorn workers up: a longer warm-up.
        load.run(requests["me"], port=port, expect=200, clients=CLIENTS, seconds=WARMUP_SECONDS * 2, cycle=True)
        patch = _paired("PATCH /me (informational write baseline)", requests["me"], requests["me_patch"], port=port,
                        expect=200, cycle=True, seconds=seconds)
        workers = _paired("GET /workers", requests["me"], requests["workers"], port=port, expect=200, cycle=True,
                          seconds=seconds)
        invoices = _paired("POST /invoices", requests["me"], requests["invoices"], port=port, expect=201,
                           cycle=False, seconds=seconds)
        webhook = _paired("POST /payments/notifications/simulator", requests["me"], requests["webhook"], port=port,
                          expect=200, cycle=False, seconds=seconds)
        during = _during_reminder_pass(requests["invoices"], requests["invoice_workers"], port=port,
                                       start=invoices.next_start, day=day)
    finally:
        server.stop()
        redis_clean()
    measured = [workers, invoices, webhook]
    base = _pooled([m.base for m in [patch, *measured]])
    figure("api_me_baseline_rps", base.rps, "req/s",
           f"baseline; GET /api/v1/me, {CLIENTS} clients, gunicorn -w {gunicorn_workers}; interleaved with each "
           "endpoint: " + ", ".join(f"{m.base.rps:,.0f}" for m in [patch, *measured])
           + (f"; {base.unexpected} answers other than 200: {base.statuses}" if base.unexpected else ""))
    figure("api_me_baseline_p50", base.percentile(50), "ms", "baseline")
    figure("api_me_baseline_p99", base.percentile(99), "ms",
           f"baseline; target < {P99_TARGET_MS:.0f} ms: {verdict(base.percentile(99) < P99_TARGET_MS)}")
    out = {"me": {"rps": base.rps, "p50_ms": base.percentile(50), "p99_ms": base.percentile(99),
                  "runs_rps": [m.base.rps for m in [patch, *measured]]}}
    result = patch.result
    figure("api_me_patch_rps", result.rps, "req/s",
           f"ratio {result.rps / patch.base.rps:.2f} vs baseline ({patch.spread}); informational: PATCH /api/v1/me, "
           f"one UPDATE and one commit, the floor of any write; p50 {result.percentile(50):.1f} ms, "
           f"p99 {result.percentile(99):.1f} ms"
           + (f"; {result.unexpected} answers other than 200: {result.statuses}" if result.unexpected else ""))
    out["me_patch"] = {"rps": result.rps, "p50_ms": result.percentile(50), "p99_ms": result.percentile(99)}
    for key, label, paired, expect in [
        ("workers_list", "GET /api/v1/workers, 10 workers a page", workers, 200),
        ("invoice_create", "POST /api/v1/invoices, one worker each", invoices, 201),
        ("webhook", "POST /api/v1/payments/notifications/simulator, 1 first : 1 repeat", webhook, 200),
    ]:
        label += f"; {paired.spread}"
        if paired.noisy:
            label += "; NOISY: the baseline slices differ by more than 25 %, other work shared the machine: rerun"
        out[key] = {**_report(key, label, paired.result, paired.base, expect),
                    "pair_ratios": paired.pair_ratios, "baseline_slices_rps": [b.rps for b in paired.side("B")]}
    result = during["result"]
    longest = max(result.latencies_ms, default=float("nan"))
    errors = f"; {result.unexpected} answers other than 201: {result.statuses}" if result.unexpected else ""
    # The figure means something only if requests ran to the pass's end and hit workers it reminded.
    if result.exhausted:
        errors += "; the request list ran out before the pass ended: the end of the pass is not covered"
    if not during["reminded"]:
        errors += "; no request was for a worker the pass reminded: nothing was tested"
    met = longest < PASS_STALL_LIMIT_MS and not result.exhausted and during["reminded"] > 0 and not result.unexpected
    figure("api_invoice_during_pass_max", longest, "ms",
           f"the longest POST /api/v1/invoices of {result.requests:,} sent while the daily reminder pass planned "
           f"{during['rows']:,} rows in {during['pass_seconds']:.1f} s; {during['reminded']:,} of them for workers "
           f"that pass reminded; p50 {result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms, "
           f"{result.rps:,.0f} req/s{errors}; target: none waits for the pass's commit "
           f"(< {PASS_STALL_LIMIT_MS:.0f} ms): {verdict(met)}")
    out["invoice_during_pass"] = {"max_ms": longest, "p50_ms": result.percentile(50), "p99_ms": result.percentile(99),
                                  "rps": result.rps, "requests": result.requests, "reminded": during["reminded"],
                                  "pass_rows": during["rows"], "pass_seconds": during["pass_seconds"],
                                  "statuses": result.statuses}
    return out


def _pooled(results: list[load.Result]) -> load.Result:
    """Several runs as one: mean rate (requests over time), all latencies."""
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return load.Result(
        requests=sum(r.requests for r in results), seconds=sum(r.seconds for r in results),
        latencies_ms=[ms for r in results for ms in r.latencies_ms], statuses=statuses,
        unexpected=sum(r.unexpected for r in results),
    )
