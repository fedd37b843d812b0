"""`make bench`: the performance figures of QUALITY.md ("Performance"), measured side by side in one run.

    .venv/bin/python bench/run.py [--only data,plan,dispatch,api,autopay,admin] [--rebuild] [--repeat N]
                                  [--autopay-batches 50,200,500]

Prints one line per figure on stdout, `name: value unit (ratio X vs baseline …)`; progress goes to
stderr. The figures are also written to var/bench/latest.json. See docs/benchmarks.md.

Works only in its own PostgreSQL database (BENCH_DATABASE_URL, default bpu_bench on 127.0.0.1) and
its own Redis db (BENCH_REDIS_URL, default db 13); DATABASE_URL and REDIS_URL are ignored.
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_DATABASE_URL, BENCH_REDIS_URL, figure, info, save_results, setup_django  # noqa: E402

PHASES = ("data", "plan", "dispatch", "api", "autopay", "admin")


def machine() -> dict:
    import psycopg
    import redis

    with psycopg.connect(BENCH_DATABASE_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'max_wal_size', 'synchronous_commit', 'jit')"
        ).fetchall())
    redis_version = redis.Redis.from_url(BENCH_REDIS_URL).info("server")["redis_version"]
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "postgresql": pg,
        "postgresql_settings": settings,
        "redis": redis_version,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PHASES), help="comma-separated phases: " + ", ".join(PHASES))
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the data set even if unchanged")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each reminder-pass statement (median)")
    parser.add_argument("--api-seconds", type=float, default=8.0, help="measured seconds per API endpoint")
    parser.add_argument("--gunicorn-workers", type=int, default=2,
                        help="gunicorn sync workers of the API phase (QUALITY.md figures: 2)")
    parser.add_argument("--admin-requests", type=int, default=20,
                        help="measured requests per back-office page in the admin phase (p95 of them)")
    parser.add_argument("--autopay-batches", default="",
                        help="autopay phase: also charge a sample in batches of these sizes (e.g. 50,200,500), "
                             "beside the app's own size, in the same run (informational figures)")
    args = parser.parse_args()
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    setup_django()
    from registration.services import today_wib

    from bench import data

    today = today_wib()
    day = today.replace(day=8)
    info(f"database {BENCH_DATABASE_URL}, redis {BENCH_REDIS_URL}; pass day {day}")

    # The data set is needed by every phase: always ensured (cheap when reused).
    built = data.ensure(today, rebuild=args.rebuild)
    meta = built["meta"]
    if built["built"]:
        figure("data_build", built["seconds"], "s",
               f"built now with COPY; {int(meta['enrollments']):,} approved enrollments, {int(meta['sponsors']):,} "
               f"sponsors, {int(meta['devices']):,} devices, {int(meta['max_invoice_id']):,} pending invoices; "
               f"version {built['version']}")
    else:
        figure("data_build", "reused", "",
               f"version {built['version']} built {meta.get('built_at')} in {meta.get('build_seconds')} s; "
               f"{int(meta['enrollments']):,} enrollments, {int(meta['sponsors']):,} sponsors")
    data.reset()
    load_start = os.getloadavg()[0]
    figure("machine_load_start", load_start, "", f"1-minute load average on {os.cpu_count()} CPUs before measuring; "
           "other work on the machine slows baselines and candidates alike, the ratios less than the absolutes")

    results: dict = {"data": {k: v for k, v in built.items() if k != "meta"} | {"meta": meta}}
    try:
        if "plan" in phases:
            from bench import reminder_pass

            info("phase: reminder pass (QUALITY.md Performance 1)")
            results["plan"] = reminder_pass.run(day, repeat=args.repeat)
        if "dispatch" in phases:
            from bench import dispatch

            info("phase: dispatch through Celery (QUALITY.md Performance 2)")
            results["dispatch"] = dispatch.run(day)
        if "api" in phases:
            from bench import api

            info("phase: API under gunicorn (QUALITY.md Performance 3)")
            results["api"] = api.run(day=day, seconds=args.api_seconds, gunicorn_workers=args.gunicorn_workers)
        if "autopay" in phases:
            from django.conf import settings

            from bench import autopay

            info("phase: autopay, planning and charging (issue 22)")
            results["autopay"] = autopay.run(
                today.replace(day=settings.AUTOPAY_CHARGE_DAY), repeat=args.repeat,
                batch_sizes=[int(size) for size in args.autopay_batches.split(",") if size.strip()],
            )
        if "admin" in phases:
            from bench import admin

            info("phase: the back office at scale (QUALITY.md Performance 6)")
            results["admin"] = admin.run(today, requests=args.admin_requests)
    finally:
        info("resetting the data set for the next run")
        from django.db import connections

        connections.close_all()
        data.reset()

    total = time.perf_counter() - started
    figure("machine_load_end", os.getloadavg()[0], "", "1-minute load average after measuring (the benchmark's own load included)")
    figure("bench_total", total, "s", f"whole run, phases {','.join(phases)}")
    path = save_results({
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "day": day.isoformat(),
        "machine": machine(),
        "load_average_start": load_start,
        "command": " ".join(["bench/run.py", *sys.argv[1:]]),
        "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "results": results,
    })
    info(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
