"""SQLite shared by two processes (the web server and the task worker under `make run`):
with the settings' options (WAL, a busy timeout, IMMEDIATE transactions) concurrent writers
queue for the lock instead of failing with "database is locked"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from portal.settings.env import database_from_url

ROOT = Path(__file__).resolve().parents[2]

# One writer: N transactions that each read, pause (another process gets in), then write:
# the read-then-write pattern of a request or a task.
WRITER = """
import json, sys, time
import django
from django.conf import settings
settings.configure(DATABASES={"default": json.loads(sys.argv[1])}, USE_TZ=True)
django.setup()
from django.db import connection, transaction
from django.db.utils import OperationalError
who, n = sys.argv[2], int(sys.argv[3])
failures, last, journal, busy_ms = 0, "", None, None
try:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        busy_ms = cursor.fetchone()[0]
except OperationalError as exc:
    failures, last = 1, str(exc)
for i in range(n):
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM counter")
                time.sleep(0.002)
                cursor.execute("INSERT INTO counter (who, n) VALUES (%s, %s)", [who, i])
    except OperationalError as exc:
        failures += 1
        last = str(exc)
print(json.dumps({"failures": failures, "error": last, "journal": journal, "busy_ms": busy_ms}))
"""


def _run_writers(
    config: dict, rows_each: int, writers: tuple[str, ...] = ("web", "worker")
) -> list[dict]:
    """Start one process per name in ``writers`` at once; each returns its outcome."""
    arg = json.dumps(config)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, arg, who, str(rows_each)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in writers
    ]
    outcomes = []
    for writer in processes:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        outcomes.append(json.loads(out))
    return outcomes


def _fresh_database(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, who TEXT, n INTEGER)")


def _rows(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM counter").fetchone()[0]


def test_settings_open_sqlite_in_wal_mode_with_a_busy_timeout(tmp_path):
    path = tmp_path / "portal.sqlite3"
    _fresh_database(path)
    config = database_from_url(f"sqlite:///{path}", default_sqlite=path)
    assert database_from_url(None, default_sqlite=path)["OPTIONS"] == config["OPTIONS"]
    outcome = _run_writers(config, rows_each=1, writers=("web",))[0]
    assert (outcome["journal"], outcome["busy_ms"]) == ("wal", 20_000)


def test_two_processes_writing_at_once_never_see_database_is_locked(tmp_path):
    path = tmp_path / "portal.sqlite3"
    _fresh_database(path)
    config = database_from_url(f"sqlite:///{path}", default_sqlite=path)
    outcomes = _run_writers(config, rows_each=300)
    assert [o["failures"] for o in outcomes] == [0, 0], outcomes
    assert _rows(path) == 600


def test_without_those_options_the_same_load_fails(tmp_path):
    """The control: SQLite's defaults (rollback journal, deferred transactions, no wait)
    under the same load do hit the lock, so the test above can fail."""
    path = tmp_path / "plain.sqlite3"
    _fresh_database(path)
    config = database_from_url(f"sqlite:///{path}", default_sqlite=path)
    config["OPTIONS"] = {"timeout": 0}
    outcomes = _run_writers(config, rows_each=300)
    assert sum(o["failures"] for o in outcomes) > 0
    assert "database is locked" in " ".join(o["error"] for o in outcomes)
