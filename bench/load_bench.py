"""Load bench: the demo portal under gunicorn on 127.0.0.1, driven by concurrent users.

    .venv/bin/python -m bench.load_bench [--users 20] [--seconds 60] [--workers 4]
        [--think 1.0] [--phases uncached,cached] [--db-name NAME]

A throwaway database (SQLite in a temporary folder; PostgreSQL next to ``DATABASE_URL`` when
it is set) is migrated and filled with the demo data, then gunicorn serves it on a free
loopback port. Each simulated user loops through a realistic mix (home, strategy list with
filters, a strategy, search with facets, a result page, ``/compare/`` with a metric, API
reads) with a think time between requests; ``--contributors`` of them sign in and also
preview uploads (the upload form, a CSV, the validation report). Every request has a timeout,
every phase a fixed length, and the server is stopped, the database dropped and the run's
temporary folder removed at the end, also after Ctrl-C, SIGTERM or a failed start. The port
is bound by the bench itself and handed to gunicorn, so a busy port or another server on it
can never be mistaken for the bench's own; the PostgreSQL database gets a name of its own per
run, so two benches on one server never drop each other's.

The same load runs twice by default: with the anonymous page cache off (the baseline) and on
(``REDIS_URL`` set: Redis shared by the workers, under a key prefix of the run's own that is
deleted at the end; unset: a file cache in the run's temporary folder, shared by the workers
and never the developer's ``.cache/``). Printed:
requests/s, p50/p95/p99 per page kind, the load average, and an ``errors: N`` line per phase.
Target on PostgreSQL: 0 errors and p95 under 300 ms at 20 users (with the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DB_PREFIX = "ips_load_bench"
CONTRIBUTOR = ("contributor", "demo-contributor-2026")  # demo data, development only
UPLOAD_FILE = ROOT / "fixtures" / "outcomes_clean.csv"
REQUEST_TIMEOUT = 30.0
SEARCH_WORDS = ["witness", "gun", "zone", "homicide", "probation", "shooting", "violent", "cyber"]
STATES = ["MO", "VA", "OK", "GA", "OH", "CA", "TX", "PA"]
# Page kinds and how often an anonymous visitor asks for each (weights).
MIX = {
    "home": 8,
    "strategy_list": 14,
    "strategy": 16,
    "search": 16,
    "result_page": 12,
    "compare": 10,
    "api": 16,
}


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- The server -----------------------------------------------------------------------------


@dataclass
class Run:
    """What one bench run owns and removes at the end: a temporary folder (the SQLite
    database, media, static and file cache live in it), a database name, a cache key prefix
    and a secret key."""

    folder: Path
    db_name: str
    cache_prefix: str = field(default_factory=lambda: f"ips-load-bench-{secrets.token_hex(4)}")
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    @classmethod
    def start(cls, db_name: str | None = None) -> Run:
        name = db_name or f"{DB_PREFIX}_{os.getpid()}_{secrets.token_hex(3)}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"--db-name {name!r}: use lower-case letters, digits and _")
        folder = Path(tempfile.mkdtemp(prefix="ips-load-bench-"))
        for sub in ("media", "static", "cache"):
            (folder / sub).mkdir()
        return cls(folder=folder, db_name=name)


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def database_prepare(run: Run) -> tuple[str, str]:
    """A fresh database with the demo data; returns (DATABASE_URL, label)."""
    postgres_url = _postgres_url()
    if postgres_url:
        import psycopg

        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {run.db_name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {run.db_name}")
        url, label = f"{postgres_url.rpartition('/')[0]}/{run.db_name}", "PostgreSQL"
    else:
        url, label = f"sqlite:///{run.folder / 'load.sqlite3'}", "SQLite"
    # DEBUG while loading: the demo users get their documented passwords only then.
    env = {**_server_env(run, url, page_cache=True), "DEBUG": "1"}
    for command in (
        ["migrate", "--noinput", "--verbosity", "0"],
        ["load_demo_data", "--verbosity", "0"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=900
        )
    return url, label


def database_drop(run: Run) -> None:
    """Drop the run's PostgreSQL database (also one a failed or interrupted start left)."""
    postgres_url = _postgres_url()
    if not postgres_url:
        return
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {run.db_name} WITH (FORCE)")


def cache_clear(run: Run) -> int:
    """Delete the run's keys from Redis (the generation key never expires by itself); only
    keys under the run's own prefix, in the database ``REDIS_URL`` names."""
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not redis_url:
        return 0
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{run.cache_prefix}:*", count=1000))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


def run_cleanup(run: Run) -> None:
    """Everything a run made goes, whichever step fails."""
    try:
        database_drop(run)
    finally:
        try:
            cache_clear(run)
        except Exception as exc:  # noqa: BLE001 - keys expire anyway; still remove the folder
            print(f"Could not delete the run's Redis keys: {exc}", file=sys.stderr)
        finally:
            shutil.rmtree(run.folder, ignore_errors=True)


def _server_env(run: Run, database_url: str, *, page_cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.dev",
        DEBUG="0",
        SECRET_KEY=run.secret,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(run.folder / "media"),
        STATIC_ROOT=str(run.folder / "static"),  # empty: static files come from the app folders
        # Without Redis the dev settings use a file cache: the run's own, not the developer's.
        PORTAL_CACHE_DIR=str(run.folder / "cache"),
        LOG_LEVEL="WARNING",
        PORTAL_PAGE_CACHE_SECONDS="600" if page_cache else "0",
        # Keys of their own on a shared Redis, deleted at the end (cache_clear).
        CACHE_KEY_PREFIX=run.cache_prefix,
    )
    return env


class Server:
    """gunicorn on a loopback port; always stopped by ``stop`` (also on errors).

    The bench binds the port itself and hands the listening socket to gunicorn
    (``--bind fd://N``): no other process can take the port between choosing and binding it,
    and whatever answers on it is this server.
    """

    def __init__(self, run: Run, database_url: str, *, workers: int, page_cache: bool) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            listener.set_inheritable(True)
            self.port = listener.getsockname()[1]
            self.base_url = f"http://127.0.0.1:{self.port}"
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "portal.wsgi:application",
                    "--bind", f"fd://{listener.fileno()}", "--workers", str(workers),
                    "--timeout", "60", "--log-level", "warning",
                ],
                cwd=ROOT, env=_server_env(run, database_url, page_cache=page_cache),
                pass_fds=(listener.fileno(),),
            )  # fmt: skip
        finally:
            listener.close()  # gunicorn holds its own copy

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer on {self.base_url} in {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# --- What the users ask for -----------------------------------------------------------------


@dataclass
class Targets:
    """URLs found on the running demo site (through its API), to pick requests from."""

    strategies: list[str]
    strategy_types: list[str]
    analyses: list[int]
    metrics: list[str]


def discover(base_url: str) -> Targets:
    import httpx

    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        strategies = client.get("/api/v1/strategies/", params={"limit": 100}).json()
        analyses = client.get("/api/v1/analyses/", params={"limit": 100}).json()
    items = strategies.get("items") or strategies.get("results") or []
    analysis_items = analyses.get("items", analyses) if isinstance(analyses, dict) else analyses
    types = sorted({slug for s in items for slug in s.get("strategy_types", [])})
    return Targets(
        strategies=[urlsplit(s["url"]).path for s in items if s.get("url")],
        strategy_types=types,
        analyses=[a["id"] for a in analysis_items if "id" in a],
        metrics=sorted({a["metric"] for a in analysis_items if isinstance(a.get("metric"), str)}),
    )


def anonymous_request(kind: str, targets: Targets, rng: random.Random) -> str:
    """A path (with query string) for one request of ``kind``."""
    word = rng.choice(SEARCH_WORDS)
    if kind == "home":
        return "/"
    if kind == "strategy_list":
        params: dict[str, str] = {"sort": rng.choice(["newest", "az", "rating"])}
        if targets.strategy_types and rng.random() < 0.7:
            params["type"] = rng.choice(targets.strategy_types)
        if rng.random() < 0.5:
            params["state"] = rng.choice(STATES)
        return "/strategies/?" + urlencode(params)
    if kind == "strategy" and targets.strategies:
        return rng.choice(targets.strategies)
    if kind == "search":
        params = {"q": word, "type": rng.choice(["strategy", "analysis"])}
        if rng.random() < 0.6:
            params["state"] = rng.choice(STATES)
        return "/search/?" + urlencode(params)
    if kind == "result_page" and targets.analyses:
        return f"/evaluations/analyses/{rng.choice(targets.analyses)}/"
    if kind == "compare" and targets.metrics:
        return "/compare/?" + urlencode({"metric": rng.choice(targets.metrics)})
    if kind == "api":
        return rng.choice(
            [
                "/api/v1/strategies/?limit=20",
                "/api/v1/analyses/?limit=20",
                "/api/v1/search/?" + urlencode({"q": word, "type": "analysis"}),
            ]
        )
    return "/"


@dataclass
class Tally:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    cache_hits: int = 0

    def record(self, kind: str, started: float, problem: str = "") -> None:
        self.timings[kind].append((time.perf_counter() - started) * 1000)
        if problem:
            self.errors[kind] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind}: {problem}")


PRIVATE = "private, no-store"


def response_problem(response, path: str, *, signed_in: bool) -> str:
    """What is wrong with a response ("" when nothing): an error status, or a signed-in
    visitor's page that is not private or came from the anonymous page cache."""
    if response.status_code >= 400:
        return f"{path}: HTTP {response.status_code}"
    if signed_in and (
        response.headers.get("Cache-Control") != PRIVATE or "X-Page-Cache" in response.headers
    ):
        return f"{path}: a signed-in page without Cache-Control: {PRIVATE} or from the cache"
    return ""


async def _get(client, kind: str, path: str, tally: Tally, *, signed_in: bool = False) -> None:
    import httpx

    started = time.perf_counter()
    try:
        response = await client.get(path)
    except httpx.HTTPError as exc:
        tally.record(kind, started, f"{path}: {type(exc).__name__}")
        return
    tally.record(kind, started, response_problem(response, path, signed_in=signed_in))
    tally.cache_hits += response.headers.get("X-Page-Cache") == "hit"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


async def _sign_in(client) -> None:
    page = await client.get("/admin/login/")
    username, password = CONTRIBUTOR
    response = await client.post(
        "/admin/login/",
        data={"csrfmiddlewaretoken": _csrf(page.text), "username": username,
              "password": password, "next": "/admin/"},
        headers={"Referer": f"{client.base_url}/admin/login/"},
    )  # fmt: skip
    if response.status_code != 302:
        raise RuntimeError(f"the demo contributor could not sign in (HTTP {response.status_code})")


async def _upload_preview(client, tally: Tally) -> None:
    """The upload form, a clean CSV posted to it, and the validation report it leads to."""
    import httpx

    started = time.perf_counter()
    try:
        form = await client.get("/admin/outcome-data/upload/")
        site = re.search(r'<option value="(\d+)"[^>]*selected', form.text) or re.search(
            r'<option value="(\d+)"', form.text
        )
        response = await client.post(
            "/admin/outcome-data/upload/",
            data={"csrfmiddlewaretoken": _csrf(form.text), "site": site.group(1) if site else ""},
            files={"file": (UPLOAD_FILE.name, UPLOAD_FILE.read_bytes(), "text/csv")},
            headers={"Referer": f"{client.base_url}/admin/outcome-data/upload/"},
            follow_redirects=True,
        )
    except httpx.HTTPError as exc:
        tally.record("upload_preview", started, type(exc).__name__)
        return
    ok = response.status_code == 200 and "/batches/" in str(response.url)
    tally.record("upload_preview", started, "" if ok else f"HTTP {response.status_code}")


async def user(
    number: int, base_url: str, targets: Targets, deadline: float, think: float, tally: Tally,
    *, contributor: bool,
) -> None:  # fmt: skip
    import httpx

    rng = random.Random(number)
    kinds, weights = list(MIX), list(MIX.values())
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        if contributor:
            await _sign_in(client)
        while time.monotonic() < deadline:
            if contributor and rng.random() < 0.25:
                await _upload_preview(client, tally)
            else:
                kind = rng.choices(kinds, weights)[0]
                label = f"{kind} (signed in)" if contributor else kind
                path = anonymous_request(kind, targets, rng)
                await _get(client, label, path, tally, signed_in=contributor)
            if think:
                await asyncio.sleep(min(rng.uniform(0.5, 1.5) * think, deadline - time.monotonic()))


async def drive(args, base_url: str, targets: Targets) -> tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()
    deadline = started + args.seconds
    tasks = [
        user(n, base_url, targets, deadline, args.think, tally, contributor=n < args.contributors)
        for n in range(args.users)
    ]
    # Bounded: users stop at the deadline; a request still open then has its own timeout.
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.seconds + REQUEST_TIMEOUT + 10)
    return tally, time.monotonic() - started


# --- Running and reporting ------------------------------------------------------------------


def report(phase: str, tally: Tally, elapsed: float, load: tuple[str, str]) -> int:
    total = sum(len(t) for t in tally.timings.values())
    errors = sum(tally.errors.values())
    everything = [ms for t in tally.timings.values() for ms in t]
    print(f"\n== {phase}: {total} requests in {elapsed:.0f} s = {total / elapsed:.1f} requests/s"
          f" (load average {load[0]} at start, {load[1]} at end)")  # fmt: skip
    header = f"{'page kind':<28}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for kind in sorted(tally.timings):
        t = tally.timings[kind]
        print(
            f"{kind:<28}{len(t):>6}{statistics.median(t):>9.1f}{percentile(t, 95):>9.1f}"
            f"{percentile(t, 99):>9.1f}{tally.errors.get(kind, 0):>8}"
        )
    if everything:
        print(
            f"{'all':<28}{len(everything):>6}{statistics.median(everything):>9.1f}"
            f"{percentile(everything, 95):>9.1f}{percentile(everything, 99):>9.1f}{errors:>8}"
        )
    print(f"served from the page cache: {tally.cache_hits} of {total} responses")
    for sample in tally.samples:
        print(f"  e.g. {sample}")
    print(f"errors: {errors}")
    return errors


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument(
        "--contributors",
        type=int,
        default=None,
        help="users who sign in (default 2, at most half the users: the rest are anonymous)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause between a user's requests, s"
    )
    parser.add_argument("--phases", default="uncached,cached")
    parser.add_argument(
        "--db-name", default=None, help="PostgreSQL database to create and drop (default: "
        f"{DB_PREFIX}_<pid>_<random>, one per run)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 200 or not 1 <= args.seconds <= 1800:
        parser.error("--users must be 1-200 and --seconds 1-1800 (the bench is bounded)")
    if args.contributors is None:
        args.contributors = min(2, args.users // 2)
    if not 0 <= args.contributors < args.users:
        parser.error(
            f"--contributors {args.contributors} with --users {args.users}: at least one user "
            "must stay anonymous (the page cache serves only them); use fewer contributors"
        )
    if args.db_name is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name):
        parser.error(f"--db-name {args.db_name!r}: use lower-case letters, digits and _")
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if not args.phases or set(args.phases) - {"uncached", "cached"}:
        parser.error("--phases takes uncached and/or cached")
    return args


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _run_phase(args, run: Run, url: str, label: str, phase: str) -> int:
    """One phase; returns its error count (a phase that cannot run counts as one error)."""
    name = "page cache on" if phase == "cached" else "page cache off (baseline)"
    server = Server(run, url, workers=args.workers, page_cache=phase == "cached")
    try:
        host = urlsplit(server.base_url).hostname or ""
        assert ipaddress.ip_address(host).is_loopback  # never anything but this machine
        server.wait_ready()
        targets = discover(server.base_url)
        load_start = _loadavg()
        tally, elapsed = asyncio.run(drive(args, server.base_url, targets))
        return report(f"{label}, {name}", tally, elapsed, (load_start, _loadavg()))
    except Exception as exc:  # noqa: BLE001 - report the phase as failed, then clean up
        print(f"\n== {label}, {name}: could not run: {exc}\nerrors: 1")
        return 1
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cache = (
        "Redis" if os.environ.get("REDIS_URL", "").strip() else "a file cache shared by the workers"
    )
    print(f"Load bench: {args.users} users ({args.contributors} signed in), {args.seconds:.0f} s"
          f" per phase, think time ~{args.think} s, gunicorn {args.workers} workers; "
          f"cache: {cache}")  # fmt: skip
    # SIGTERM (a CI timeout, kill) cleans up like Ctrl-C instead of leaving gunicorn running.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    run = Run.start(args.db_name)
    errors = 0
    try:
        prepared = time.monotonic()
        url, label = database_prepare(run)
        print(f"Database: {label} with the demo data "
              f"({time.monotonic() - prepared:.0f} s to prepare)")  # fmt: skip
        for phase in args.phases:
            errors += _run_phase(args, run, url, label, phase)
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the server and removing the run's database and files.")
        errors = errors or 1
    finally:
        run_cleanup(run)
        signal.signal(signal.SIGTERM, previous)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
