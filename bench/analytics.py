#!/usr/bin/env python3
"""The analytics API on a store of 1,000,000 messages (issue 11), Python 3 standard library only.

    cargo build --release
    python3 bench/analytics.py                       # 1,000,000 messages over 30 days
    python3 bench/analytics.py --messages 100000 --repeat 10

1. `smsgate serve` starts once on a fresh database (so every migration ran) and stops.
2. The messages are written directly with SQL (for speed): one batch, `--messages` rows with
   random acceptance times over the last `--days` days, routes (4 modems, 2 providers), SMS
   types, destination countries, final statuses, segments and segment costs, each with the
   `rolled_*` columns `store/analytics.rs` `sync` would have left.
3. The rollups are built from those rows with the aggregation of migration 0014's backfill
   (the same keys `sync` maintains one message at a time); the latency and error tables get
   a plausible histogram per route and hour. The script checks the rollups add up to the
   messages table before it measures.
4. `smsgate serve` starts on that database; each endpoint is called once to warm up, then
   `--repeat` times over one keep-alive connection, for the 30-day range ending now (RFC 3339
   bounds that are not on the hour, so the edge hours are read from the hourly rollup and
   the whole days between from the daily one). One JSON line per endpoint: p50, p95, max.

Results go to stdout and bench/results/<date>-analytics.jsonl; docs/benchmarks.md has them.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
DEFAULT_BINARY = os.path.join(TARGET, "release", "smsgate")
HOUR = 3_600_000
DAY = 24 * HOUR

ROUTES = (["m0", "m1", "m2", "m3", "twilio", "vonage"], [25, 25, 20, 15, 10, 5])
TYPES = (["transactional", "otp", "promotional"], [60, 30, 10])
COUNTRIES = (
    ["DE", "FR", "US", "GB", "ES", "IT", "NL", "PL", "AT", "CH", "BE", "SE"],
    [30, 15, 12, 10, 8, 7, 5, 4, 3, 3, 2, 1],
)
STATUSES = (
    ["delivered", "undelivered", "failed", "sent", "expired", "cancelled"],
    [85, 5, 4, 4, 1, 1],
)
PRICES = {"twilio": 0.0079, "vonage": 0.0068}
MODEM_COST = 0.02
LATENCY_BOUNDS = [100, 250, 500, 1000, 2000, 5000, 10000]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def start(binary, config_path, port):
    proc = subprocess.Popen(
        [binary, "serve", "--config", config_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    sys.exit("smsgate serve did not answer within 60 s")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def fill(db_path, messages, days, seed):
    rnd = random.Random(seed)
    now = int(time.time() * 1000)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(
        "INSERT INTO batches (id, created_at) VALUES ('b_bench', ?)", (now - days * DAY,)
    )
    started = time.time()
    chunk = 50_000
    for base in range(0, messages, chunk):
        n = min(chunk, messages - base)
        routes = rnd.choices(*ROUTES, k=n)
        types = rnd.choices(*TYPES, k=n)
        countries = rnd.choices(*COUNTRIES, k=n)
        statuses = rnd.choices(*STATUSES, k=n)
        rows = []
        for i in range(n):
            created = now - rnd.randrange(days * DAY)
            segments = 1 if rnd.random() < 0.8 else 2
            status = statuses[i]
            route = routes[i]
            if status == "cancelled" or (status == "expired" and rnd.random() < 0.5):
                route = ""
            cost = 0.0 if not route else segments * PRICES.get(route, MODEM_COST)
            rows.append(
                (
                    base + i,
                    "+49151" + f"{rnd.randrange(10**8):08d}",
                    types[i],
                    status,
                    segments,
                    created,
                    route or None,
                    countries[i],
                    route,
                    cost,
                )
            )
        db.executemany(
            "INSERT INTO messages (batch_id, batch_pos, recipient, body, message_type, sms_type,"
            " encoding, priority, status, segments, created_at, updated_at, route, country,"
            " rolled_status, rolled_route, rolled_cost)"
            " VALUES ('b_bench', ?1, ?2, 'benchmark', 'text', ?3, 'gsm7', 0, ?4, ?5, ?6, ?6,"
            " ?7, ?8, ?4, ?9, ?10)",
            rows,
        )
        db.commit()
    inserted = time.time() - started
    started = time.time()
    # Migration 0014's backfill, with the country the generator gave each message.
    db.executescript(
        """
        INSERT INTO analytics_hourly (hour, route, sms_type, country, status, messages, segments, cost)
        SELECT (created_at / 3600000) * 3600000, rolled_route, sms_type, coalesce(country, ''),
               status, count(*), sum(segments), sum(rolled_cost)
        FROM messages GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO analytics_daily (day, route, sms_type, country, status, messages, segments, cost)
        SELECT (hour / 86400000) * 86400000, route, sms_type, country, status,
               sum(messages), sum(segments), sum(cost)
        FROM analytics_hourly GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO analytics_hourly_status (hour, route, sms_type, status, messages, segments, cost)
        SELECT hour, route, sms_type, status, sum(messages), sum(segments), sum(cost)
        FROM analytics_hourly GROUP BY 1, 2, 3, 4;
        """
    )
    latency, errors = [], []
    first_hour = (now - days * DAY) // HOUR * HOUR
    for hour in range(first_hour, now + HOUR, HOUR):
        for route in ROUTES[0]:
            for bound, share in zip(LATENCY_BOUNDS, [2, 20, 40, 25, 8, 4, 1]):
                latency.append((hour, route, bound, share))
            errors.append((hour, route, "+CMS ERROR 500", rnd.randrange(3)))
    db.executemany("INSERT INTO analytics_latency VALUES (?, ?, ?, ?)", latency)
    db.executemany("INSERT INTO analytics_errors VALUES (?, ?, ?, ?)", errors)
    db.commit()
    rolled = time.time() - started
    counted = db.execute("SELECT sum(messages) FROM analytics_daily").fetchone()[0]
    total = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    if counted != total:
        sys.exit(f"the daily rollup counts {counted} messages of {total}")
    sizes = {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ["analytics_hourly", "analytics_daily", "analytics_hourly_status", "analytics_latency", "analytics_errors"]
    }
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return now, {"insert_s": round(inserted, 1), "rollup_s": round(rolled, 1), "rows": sizes}


def measure(port, path, repeat):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        sys.exit(f"{path}: {answer.status} {body[:300]!r}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "max_ms": round(times[-1], 1),
        "bytes": len(body),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default=DEFAULT_BINARY)
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsgate-analytics-") as tmp:
        port = free_port()
        db_path = os.path.join(tmp, "smsgate.db")
        config = os.path.join(tmp, "smsgate.toml")
        with open(config, "w") as f:
            f.write(
                f'[server]\nlisten = "127.0.0.1:{port}"\n'
                f'[storage]\npath = "{db_path}"\ndurability = "normal"\n'
                "[simulator]\nmodems = 0\n"
            )
        stop(start(args.binary, config, port))
        now, filled = fill(db_path, args.messages, args.days, args.seed)
        proc = start(args.binary, config, port)
        try:
            q = f"date_from={iso(now - args.days * DAY)}&date_to={iso(now)}"
            endpoints = [
                ("stats", f"/api/analytics/stats?{q}"),
                ("stats sms_type=otp", f"/api/analytics/stats?{q}&sms_type=otp"),
                ("stats route=m0", f"/api/analytics/stats?{q}&route=m0"),
                ("countries", f"/api/analytics/countries?{q}"),
                ("timeline day", f"/api/analytics/timeline?interval=day&{q}"),
                ("timeline hour", f"/api/analytics/timeline?interval=hour&{q}"),
                ("routes", f"/api/analytics/routes?{q}"),
                ("dashboard", f"/api/analytics/dashboard?{q}"),
            ]
            head = {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "commit": subprocess.run(
                    ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                    capture_output=True,
                    text=True,
                ).stdout.strip(),
                "messages": args.messages,
                "days": args.days,
                "repeat": args.repeat,
                "loadavg": os.getloadavg()[0],
                "database_bytes": os.path.getsize(db_path),
                **filled,
            }
            lines = [json.dumps({"measurement": "analytics-fill", **head})]
            for name, path in endpoints:
                result = measure(port, path, args.repeat)
                lines.append(json.dumps({"measurement": "analytics", "endpoint": name, **result}))
        finally:
            stop(proc)
    for line in lines:
        print(line)
    out = os.path.join(ROOT, "bench", "results", f"{datetime.date.today()}-analytics.jsonl")
    with open(out, "a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
