"""Search benchmark: index 100,000 synthetic documents, then run 200 mixed queries (words, two
facets, a sort; facet counts, highlights and a page of hits each) on every engine available;
the same documents and queries through Wagtail's own database search backend (the peer, see
``bench.wagtail_peer``), and the first queries as a naive ``icontains`` ORM scan (a floor).

    .venv/bin/python -m bench.search_bench [--docs 100000] [--queries 200]
        [--peer-queries 200] [--peer-seconds 300] [--engines sqlite,postgresql,elasticsearch]
        [--pg postgres://postgres@127.0.0.1:5432/] [--pg-db NAME]

Each engine runs in its own process (Django is set up once per process). PostgreSQL uses a
database of its own (``ips_search_bench_<pid>_<random>``, one per run, so two benches on one
server never drop each other's), created and dropped here; SQLite a temporary folder, removed
at the end. Both go also when an engine fails or the bench is interrupted (Ctrl-C, SIGTERM).
An engine that fails is reported and counted on the closing ``errors: N`` line, and the exit
status is then non-zero;
Elasticsearch runs when ``ELASTICSEARCH_URL`` is set (its database side is SQLite). Targets on
PostgreSQL: query p95 under 100 ms with facets, indexing at least 2,000 documents/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import accumulate
from pathlib import Path

BENCH_DB = "ips_search_bench"
SEED = 11
STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY",
]  # fmt: skip
KINDS = ["state", "county", "city", "tribal", "district"]
TYPES = ["strategy", "analysis", "document", "site"]
TYPE_WEIGHTS = [0.35, 0.4, 0.2, 0.05]
STRATEGY_TYPES = [
    "violent-repeat-offender", "zone-prosecution", "gunstat", "witness-intimidation",
    "probation-parole-violations", "homicide-investigations", "cybercrime", "community-prosecution",
]  # fmt: skip
RATINGS = ["effective", "promising", "no_effects", "negative_effects", "inconclusive", "not_rated"]
METRICS = [
    "homicides", "nonfatal_shootings", "shots_fired_calls", "gun_recoveries", "cases_referred",
    "cases_declined", "cases_filed", "dismissals_witness", "intimidation_charges",
    "days_violation_to_hearing", "open_cases_per_attorney", "victim_contacts",
]  # fmt: skip
DESIGNS = ["pre_post", "did", "its", "its_with_comparison"]
DIRECTIONS = ["improved", "worsened", "no_clear_change"]
DOMAIN_WORDS = (  # noqa: SIM905
    "witness intimidation shooting shootings homicide gun violence prosecutor prosecution "
    "offender repeat zone geographic police probation parole violation hearing cold case "
    "victim family analyst crime analysis meeting weekly review trigger puller recovery "
    "firearm carjacking robbery assault domestic juvenile diversion deferred dismissal plea "
    "trial caseload attorney staff funding grant partner research evaluation comparison "
    "district county city tribal state community neighbourhood hot spot warrant digital "
    "evidence forensic cyber fraud exploitation relocation protection forfeiture wrongdoing "
    "subpoena appearance court judge bail detention supervision agency sheriff intelligence "
    "debriefing network gang group focused deterrence outreach trauma services advocate "
    "notification contact disposition filing referral decline charge indictment sentencing"
).split()


def _make_vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ren", "tas", "vor", "el", "qui", "ban", "sto", "dra", "pel"]
    filler = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(3000)}
    return DOMAIN_WORDS + sorted(filler)


# Zipf weights (1/rank) for the domain words, as words are spread in real text.
_DOMAIN_CUM_WEIGHTS = list(accumulate(1 / rank for rank in range(1, 101)))


def _zipf_words(rng: random.Random, vocabulary: list[str], n: int) -> list[str]:
    """One word in ten from the domain list by Zipf rank (the commonest is in most documents,
    the 10th in about a fifth, the rarest in 2-3%), the rest filler, also Zipf-like. The
    JSON output's ``mean_hits`` shows how many documents the queries matched."""
    size = len(vocabulary)
    words = []
    for _ in range(n):
        if rng.random() < 0.1:
            words.append(rng.choices(DOMAIN_WORDS, cum_weights=_DOMAIN_CUM_WEIGHTS)[0])
        else:
            words.append(vocabulary[min(size - 1, int(rng.paretovariate(1.1)) - 1)])
    return words


def synthetic_documents(count: int, seed: int = SEED):
    from search.backends.base import SearchDocument

    rng = random.Random(seed)
    vocabulary = _make_vocabulary(rng)
    shuffled = vocabulary[len(DOMAIN_WORDS) :]
    rng.shuffle(shuffled)
    start = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
    for i in range(count):
        doc_type = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        state = rng.choice(STATES)
        words = lambda n: " ".join(_zipf_words(rng, shuffled, n))  # noqa: E731
        analysis = doc_type == "analysis"
        yield SearchDocument(
            doc_type=doc_type,
            object_id=str(i),
            title=words(rng.randint(4, 9)).capitalize(),
            url=f"/bench/{i}/",
            summary=words(rng.randint(18, 35)),
            body=words(rng.randint(60, 160)),
            strategy_types=rng.sample(STRATEGY_TYPES, rng.randint(1, 2))
            if doc_type in {"strategy", "document"}
            else [],
            state=state,
            region="",
            jurisdiction=f"Bench {i % 900}, {state}",
            jurisdiction_kind=rng.choice(KINDS),
            evidence_ratings=[rng.choice(RATINGS)] if doc_type == "strategy" else [],
            metrics=[rng.choice(METRICS)] if analysis else [],
            design=rng.choice(DESIGNS) if analysis else "",
            direction=rng.choice(DIRECTIONS) if analysis else "",
            effect_size=round(rng.gauss(0, 0.3), 3) if analysis else None,
            year=rng.randint(2015, 2025),
            site=f"site-{i % 300}",
            site_name=f"Bench site {i % 300}",
            finding=words(14) if analysis else "",
            published_at=start + dt.timedelta(minutes=rng.randint(0, 5_000_000)),
        )


FACET_CHOICES = {
    "type": TYPES,
    "state": STATES,
    "jurisdiction_kind": KINDS,
    "strategy_type": STRATEGY_TYPES,
    "evidence_rating": RATINGS,
    "metric": METRICS,
    "design": DESIGNS,
    "direction": DIRECTIONS,
    "year": [str(y) for y in range(2015, 2026)],
}


def synthetic_queries(count: int, seed: int = SEED + 1):
    """Words (one or two domain terms, sometimes a quoted phrase), two facets, a sort."""
    from search.backends.base import SearchQuery

    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        words = rng.sample(DOMAIN_WORDS, rng.choice([1, 1, 2]))
        text = " ".join(words)
        if len(words) == 2 and rng.random() < 0.2:
            text = f'"{text}"'
        facets = rng.sample(sorted(FACET_CHOICES), 2)
        filters = {f: tuple(rng.sample(FACET_CHOICES[f], rng.randint(1, 2))) for f in facets}
        sort = rng.choice(["relevance", "relevance", "newest", "effect_size"])
        queries.append(SearchQuery(text=text, filters=filters, sort=sort, page_size=20))
    return queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- Naive baseline: what one would write without an index --------------------------------

SINGLE_VALUED = {
    "type": "doc_type",
    "state": "state",
    "jurisdiction_kind": "jurisdiction_kind",
    "design": "design",
    "direction": "direction",
    "year": "year",
}
MULTI_VALUED = {
    "strategy_type": "strategy_types",
    "evidence_rating": "evidence_ratings",
    "metric": "metrics",
}


def naive_search(query) -> tuple[int, list[int], dict]:
    """icontains over title/summary/body, filters on columns/JSON, a count, a page, and
    per-facet GROUP BYs: the same outputs the backend gives, without any search index."""
    from django.db.models import Count, Q

    from search.models import SearchEntry
    from search.query_text import parse_text

    def filtered(filters):
        qs = SearchEntry.objects.all()
        for word in parse_text(query.text).words:
            qs = qs.filter(
                Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
            )
        for facet, values in filters.items():
            if facet in SINGLE_VALUED:
                qs = qs.filter(**{f"{SINGLE_VALUED[facet]}__in": values})
            else:
                condition = Q()
                for value in values:
                    condition |= Q(**{f"{MULTI_VALUED[facet]}__icontains": f'"{value}"'})
                qs = qs.filter(condition)
        return qs

    matching = filtered(query.filters)
    total = matching.count()
    order = "-published_at" if query.sort != "effect_size" else "-effect_magnitude"
    ids = list(matching.order_by(order).values_list("id", flat=True)[: query.page_size])
    facets = {}
    for facet, column in SINGLE_VALUED.items():
        rows = filtered(query.filters_without(facet)).values(column).annotate(n=Count("id"))
        facets[facet] = {r[column]: r["n"] for r in rows}
    return total, ids, facets


# --- One engine, in its own process -----------------------------------------------------


def _setup(engine: str, pg_base: str, pg_db: str, folder: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(pg_base + "postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {pg_db}")
        os.environ["DATABASE_URL"] = pg_base + pg_db
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'search.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _timed(run, workload, budget_seconds: float = 0) -> tuple[list[float], list[int]]:
    """Milliseconds per query and each query's total, after warming up on the first few;
    with a budget, stops after the query that exhausts it (at least 10 queries run)."""
    for query in workload[:5]:  # warm caches, as a running server would be
        run(query)
    timings, totals = [], []
    deadline = time.perf_counter() + budget_seconds
    for query in workload:
        t0 = time.perf_counter()
        total = run(query)
        timings.append((time.perf_counter() - t0) * 1000)
        totals.append(total)
        if budget_seconds and len(timings) >= 10 and time.perf_counter() > deadline:
            break
    return timings, totals


def pg_database_drop(pg_base: str, pg_db: str) -> None:
    """Drop the run's PostgreSQL database if it exists (nothing else is ever dropped)."""
    import psycopg

    with psycopg.connect(pg_base + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")


def run_engine(args: argparse.Namespace, engine: str) -> dict:
    """One engine's figures; its database and temporary folder go whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix="ips-search-bench-"))
    try:
        return _run_engine(args, engine, folder)
    finally:
        try:
            if engine == "postgresql":
                if "django.db" in sys.modules:
                    from django.db import connections

                    connections.close_all()
                pg_database_drop(args.pg, args.pg_db)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _run_engine(args: argparse.Namespace, engine: str, folder: Path) -> dict:
    _setup(engine, args.pg, args.pg_db, folder)
    from django.db import connection

    from search.backends.database import SearchBackend as DatabaseBackend

    database = DatabaseBackend()
    if engine == "elasticsearch":
        from search.backends.elasticsearch import SearchBackend as ElasticBackend

        backend = ElasticBackend(prefix="bench")
    else:
        backend = database
    documents = list(synthetic_documents(args.docs))
    started = time.perf_counter()
    backend.rebuild(documents)
    index_seconds = time.perf_counter() - started
    if engine == "elasticsearch":
        database.rebuild(documents)  # the fallback's copy, and the baseline's table
    del documents
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchentry")

    workload = synthetic_queries(args.queries)
    timings, totals = _timed(lambda q: backend.search(q).total, workload)
    result = {
        "engine": engine,
        "docs": args.docs,
        "loadavg": _loadavg(),
        "index_seconds": index_seconds,
        "docs_per_second": args.docs / index_seconds,
        "queries": len(timings),
        "p50_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 95),
        "mean_hits": statistics.mean(totals),
    }

    if engine in {"sqlite", "postgresql"} and args.peer_queries:
        # Wagtail's database backend on the same rows (Elasticsearch has no such peer here).
        from bench.wagtail_peer import wagtail_index, wagtail_search

        peer_seconds = wagtail_index()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        peer_workload = workload[: args.peer_queries]
        peer_timings, peer_totals = _timed(
            lambda q: wagtail_search(q)[0], peer_workload, args.peer_seconds
        )
        result.update(
            peer_docs_per_second=args.docs / peer_seconds,
            peer_queries=len(peer_timings),
            peer_p50_ms=statistics.median(peer_timings),
            peer_p95_ms=percentile(peer_timings, 95),
            # Same queries, same rows: the totals should agree; a count says if they do not.
            peer_total_mismatches=sum(a != b for a, b in zip(totals, peer_totals, strict=False)),
        )

    baseline = []
    for query in workload[: args.baseline_queries]:
        t0 = time.perf_counter()
        naive_search(query)
        baseline.append((time.perf_counter() - t0) * 1000)
    result.update(
        baseline_queries=len(baseline),
        baseline_p50_ms=statistics.median(baseline) if baseline else None,
        baseline_p95_ms=percentile(baseline, 95) if baseline else None,
        loadavg_end=_loadavg(),
    )
    return result


def _loadavg() -> str:
    """The 1/5/15-minute load average: timings from a busy machine say so."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _ratio(slower: float | None, faster: float | None) -> str:
    return f"{slower / faster:.1f}x" if slower and faster else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--peer-queries",
        type=int,
        default=200,
        help="how many of the queries Wagtail's backend runs (0: skip the peer)",
    )
    parser.add_argument(
        "--peer-seconds",
        type=float,
        default=300,
        help="time budget for the peer's queries per engine (Wagtail's SQLite backend takes "
        "seconds per query at 100,000 documents); the table shows how many ran",
    )
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--engines", default="")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument(
        "--pg-db",
        default=None,
        help=f"database created and dropped here (default {BENCH_DB}_<pid>_<random>)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pg_db is None:
        args.pg_db = f"{BENCH_DB}_{os.getpid()}_{random.SystemRandom().getrandbits(24):06x}"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.pg_db):
        parser.error(f"--pg-db {args.pg_db!r}: use lower-case letters, digits and _")
    # SIGTERM cleans up like Ctrl-C (the workers' finally blocks drop their databases).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(args: argparse.Namespace) -> int:
    if args.worker:
        result = run_engine(args, args.worker)
        print("RESULT " + json.dumps(result))
        return 0

    engines = [e for e in args.engines.split(",") if e] or ["sqlite", "postgresql"] + (
        ["elasticsearch"] if os.environ.get("ELASTICSEARCH_URL") else []
    )
    print(
        f"Search bench: {args.docs:,} documents, {args.queries} queries (words + 2 facets + sort)"
        f"; load average at start {_loadavg()}"
    )
    results = []
    errors = 0
    for engine in engines:
        try:
            returncode, stdout, stderr = _worker_run(args, engine)
        except KeyboardInterrupt:
            print(f"Interrupted during {engine}: its database and files are removed.")
            if engine == "postgresql":
                pg_database_drop(args.pg, args.pg_db)  # in case the worker could not
            print(f"errors: {errors + 1}")
            return 1
        lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
        if returncode or not lines:
            errors += 1
            print(f"{engine}: failed\n{stderr[-3000:]}")
            continue
        results.append(json.loads(lines[-1][len("RESULT ") :]))

    header = (
        f"{'engine':<16}{'index docs/s':>13}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}"
        f"{'  load avg (start / end)':<26}"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for r in results:
        load = f"  {r['loadavg']} / {r['loadavg_end']}"
        print(
            f"{r['engine']:<16}{r['docs_per_second']:>13,.0f}{r['p50_ms']:>9.1f}"
            f"{r['p95_ms']:>9.1f}{r['queries']:>9}{load}"
        )
        if "peer_p95_ms" in r:
            print(
                f"{'  Wagtail db':<16}{r['peer_docs_per_second']:>13,.0f}{r['peer_p50_ms']:>9.1f}"
                f"{r['peer_p95_ms']:>9.1f}{r['peer_queries']:>9}"
            )
            print(
                f"{'  ratio':<16}{_ratio(r['docs_per_second'], r['peer_docs_per_second']):>13}"
                f"{_ratio(r['peer_p50_ms'], r['p50_ms']):>9}"
                f"{_ratio(r['peer_p95_ms'], r['p95_ms']):>9}"
                f"   (ours faster by; totals differing on {r['peer_total_mismatches']} queries)"
            )
        if r.get("baseline_p95_ms"):
            print(
                f"{'  naive scan':<16}{'':>13}{r['baseline_p50_ms']:>9.1f}"
                f"{r['baseline_p95_ms']:>9.1f}{r['baseline_queries']:>9}"
            )
        if r["engine"] == "postgresql":
            slower_than_peer = "peer_p95_ms" in r and r["p95_ms"] >= r["peer_p95_ms"]
            failed = r["p95_ms"] >= 100 or r["docs_per_second"] < 2000 or slower_than_peer
    print(
        "(Wagtail db = Wagtail's database search backend on the same rows and queries; "
        "naive = icontains scan + per-facet GROUP BY, first "
        f"{min(args.baseline_queries, args.queries)} queries)"
    )
    for r in results:
        print(json.dumps(r))
    if any(r["engine"] == "postgresql" for r in results):
        print(
            "PostgreSQL targets (p95 < 100 ms, >= 2,000 docs/s, faster than Wagtail's backend):",
            "MISSED" if failed else "met",
        )
    print(f"errors: {errors}")
    return 1 if failed or errors else 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _worker_run(args: argparse.Namespace, engine: str) -> tuple[int, str, str]:
    """One engine in its own process. Interrupted, the worker gets SIGINT and time to drop
    its database (``subprocess.run`` would SIGKILL it at once, leaving the database)."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "bench.search_bench", "--worker", engine,
            "--docs", str(args.docs), "--queries", str(args.queries),
            "--peer-queries", str(args.peer_queries),
            "--peer-seconds", str(args.peer_seconds),
            "--baseline-queries", str(args.baseline_queries),
            "--pg", args.pg, "--pg-db", args.pg_db,
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate()
    except KeyboardInterrupt:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    return process.returncode, stdout, stderr


if __name__ == "__main__":
    sys.exit(main())
