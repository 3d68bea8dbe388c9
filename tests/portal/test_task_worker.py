"""The task worker: its heartbeat, the admin's view of the queue, and the real worker process
(``manage.py db_worker``, started by the test) doing what ``make run`` relies on: a strategy
BJA publishes reaches /search/ and a queued analysis shows its result."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal.models import WorkerHeartbeat
from portal.worker import worker_heartbeat_record, worker_status
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_a_recent_heartbeat_means_a_worker_is_running():
    assert worker_status().alive is False
    assert "none has ever run" in worker_status().warning
    worker_heartbeat_record(worker_id="w1", started_at=timezone.now())
    status = worker_status()
    assert status.alive and status.warning == ""


@pytest.mark.django_db
def test_no_heartbeat_for_a_few_minutes_warns(settings):
    settings.PORTAL_WORKER_MISSING_SECONDS = 180
    worker_heartbeat_record(worker_id="w1", started_at=timezone.now())
    WorkerHeartbeat.objects.update(last_seen_at=timezone.now() - dt.timedelta(minutes=4))
    status = worker_status()
    assert not status.alive
    assert status.warning.startswith("No task worker is running (the last one was seen")


@pytest.mark.django_db
def test_queue_counts_come_from_the_database_queue(settings):
    from search.tasks import search_index_rebuild

    settings.TASKS = DATABASE_QUEUE
    search_index_rebuild.enqueue()
    search_index_rebuild.enqueue()
    status = worker_status()
    assert (status.queued, status.running, status.failed) == (2, 0, 0)
    assert status.oldest_queued_at is not None


@pytest.mark.django_db
def test_dashboard_shows_bja_staff_the_queue_and_warns_without_a_worker(
    client, bja_user, contributor_a
):
    client.force_login(bja_user)
    html = client.get("/admin/").content.decode()
    assert "Background tasks" in html and "Worker not running." in html
    worker_heartbeat_record(worker_id="w1", started_at=timezone.now())
    html = client.get("/admin/").content.decode()
    assert "A task worker is running: last heartbeat" in html
    assert "Worker not running." not in html
    client.force_login(contributor_a)
    assert "Background tasks" not in client.get("/admin/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_db_worker_command_records_its_heartbeat(settings):
    settings.TASKS = DATABASE_QUEUE
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "t1")
    beat = WorkerHeartbeat.objects.get(worker_id="t1")
    assert beat.pid == os.getpid()
    assert timezone.now() - beat.last_seen_at < dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_analysis_page_tells_whoever_can_run_it_that_no_worker_runs(client, site_a, bja_user):
    from tests.evaluations.analysis_helpers import make_analysis

    analysis = make_analysis(site=site_a, status="queued")
    url = f"/evaluations/analyses/{analysis.pk}/"
    assert "No task worker is running" not in client.get(url).content.decode()
    client.force_login(bja_user)
    html = client.get(url).content.decode()
    assert "waiting to start" in html and "No task worker is running" in html
    worker_heartbeat_record(worker_id="w1", started_at=timezone.now())
    assert "No task worker is running" not in client.get(url).content.decode()


@pytest.mark.django_db
def test_failed_analysis_offers_a_retry_to_whoever_can_run_it(client, site_a, bja_user):
    from tests.evaluations.analysis_helpers import make_analysis

    analysis = make_analysis(site=site_a, status="failed")
    client.force_login(bja_user)
    html = client.get(f"/evaluations/analyses/{analysis.pk}/").content.decode()
    assert "The last run failed." in html and "Run it again" in html
    assert f"/admin/analyses/{analysis.pk}/run/" in html


# --- The real worker process ------------------------------------------------------------


def _database_url() -> str:
    """The test database as a DATABASE_URL another process can open."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


@pytest.fixture
def worker_process(settings):
    """``manage.py db_worker`` in its own process on the test database, as `make run` starts
    it; requests and services in this process enqueue into the same database queue."""
    settings.TASKS = DATABASE_QUEUE
    if "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("the test database is in memory; another process cannot open it")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env |= {"DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "portal.settings.dev"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    assert "database is locked" not in output, output


def _wait_for(check, *, seconds: float, process) -> float:
    """Poll ``check()`` until it is true; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.5)
    raise AssertionError(f"not done within {seconds} s")


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_indexes_a_published_strategy_and_runs_an_analysis(
    worker_process, client, strategy_index, site_a, bja_user
):
    from evaluations.analyses.services import analysis_create, analysis_enqueue
    from tests.evaluations.analyses_backend_helpers import INTERVENTION, upload_standard

    draft = factories.strategy_page_for(
        site_a, parent=strategy_index, title="Harbourside gun review panel", publish=False
    )
    html = client.get("/search/", {"q": "Harbourside"}).content.decode()
    assert "Harbourside gun review panel" not in html
    draft.save_revision(user=bja_user).publish(user=bja_user)  # BJA publishes it

    def searchable() -> bool:
        html = client.get("/search/", {"q": "Harbourside"}).content.decode()
        return "Harbourside gun review panel" in html

    took = _wait_for(searchable, seconds=60, process=worker_process)
    assert took < 60

    upload_standard(site_a)
    analysis = analysis_create(
        user=bja_user,
        site=site_a,
        design="did",
        metric="nonfatal_shootings",
        treatment_area="Zone 3",
        comparison_areas=["Zone 1", "Zone 2"],
        intervention_date=INTERVENTION,
    )
    analysis_enqueue(analysis=analysis, user=bja_user)
    client.force_login(bja_user)
    url = f"/evaluations/analyses/{analysis.pk}/"
    assert "waiting to start" in client.get(url).content.decode()

    def has_result() -> bool:
        response = client.get(url)
        page = response.context.get("page") if response.context else None
        return page is not None and "in the 24 months after the strategy began" in page.finding

    _wait_for(has_result, seconds=60, process=worker_process)
    recent = timezone.now() - dt.timedelta(minutes=1)
    assert WorkerHeartbeat.objects.filter(last_seen_at__gte=recent).exists()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_make_run_procfile_starts_web_and_worker_and_one_interrupt_stops_both(settings):
    """What `make run` runs after loading the demo: honcho with the Procfile. The web server
    answers, the worker records its heartbeat, and one Ctrl-C (SIGINT) stops them both."""
    import signal
    import urllib.request

    if "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("the test database is in memory; another process cannot open it")
    honcho = Path(sys.executable).with_name("honcho")
    if not honcho.exists():
        pytest.skip("honcho is not installed (make install installs it)")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env |= {
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "PORTAL_PORT": str(port),
    }
    process = subprocess.Popen(
        [str(honcho), "--procfile", "Procfile", "start"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:

        def web_answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        _wait_for(web_answers, seconds=60, process=process)
        _wait_for(WorkerHeartbeat.objects.exists, seconds=60, process=process)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert "web.1" in output and "worker.1" in output
    assert not web_answers()
    alive = subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True)
    assert alive.stdout.strip() == "", f"left running: {alive.stdout}\n{output}"
