"""The load bench stops by itself and leaves nothing behind: its database, files, cache keys
and server go also when it is interrupted or its start fails; its users mix anonymous and
signed-in visitors whatever the count."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bench import load_bench

ROOT = Path(__file__).resolve().parents[2]


def _bare_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.pop("DATABASE_URL", None)
    return {**env, "TMPDIR": str(tmp_path)}


@pytest.mark.parametrize(("users", "contributors"), [(1, 0), (2, 1), (3, 1), (20, 2)])
def test_some_users_stay_anonymous_by_default(users, contributors):
    assert load_bench.parse_args(["--users", str(users)]).contributors == contributors


def test_as_many_contributors_as_users_is_refused(capsys):
    with pytest.raises(SystemExit):
        load_bench.parse_args(["--users", "2", "--contributors", "2"])
    assert "at least one user must stay anonymous" in capsys.readouterr().err


def test_importing_the_bench_makes_no_temporary_folders(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import bench.load_bench"],
        cwd=ROOT, env=_bare_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_servers_cache_and_files_are_the_runs_own(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    run = load_bench.Run(folder=tmp_path, db_name="ips_load_bench_test")
    env = load_bench._server_env(run, "sqlite:///x", page_cache=True)
    for name in ("PORTAL_CACHE_DIR", "MEDIA_ROOT", "STATIC_ROOT"):
        assert Path(env[name]).is_relative_to(tmp_path), name
    assert env["CACHE_KEY_PREFIX"] == run.cache_prefix


def test_the_port_is_bound_before_gunicorn_starts(tmp_path, monkeypatch):
    """gunicorn gets a socket the bench already listens on: a busy port or another server
    on it can never be taken for the bench's own."""
    seen = {}

    class FakePopen:
        def __init__(self, command, **kwargs):
            bind = command[command.index("--bind") + 1]
            assert bind.startswith("fd://")
            fd = int(bind.removeprefix("fd://"))
            assert fd in kwargs["pass_fds"]
            sock = socket.socket(fileno=os.dup(fd))
            seen["address"] = sock.getsockname()
            seen["listening"] = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            sock.close()

        def poll(self):
            return 0

    monkeypatch.setattr(load_bench.subprocess, "Popen", FakePopen)
    run = load_bench.Run(folder=tmp_path, db_name="ips_load_bench_test")
    server = load_bench.Server(run, "sqlite:///x", workers=1, page_cache=False)
    assert seen["address"] == ("127.0.0.1", server.port)
    assert seen["listening"] == 1


def test_an_interrupted_start_removes_the_database_and_files(tmp_path, monkeypatch):
    monkeypatch.setattr(load_bench.tempfile, "tempdir", str(tmp_path))
    dropped = []

    def prepare(run):
        (run.folder / "load.sqlite3").write_text("half-loaded")
        raise KeyboardInterrupt

    monkeypatch.setattr(load_bench, "database_prepare", prepare)
    monkeypatch.setattr(load_bench, "database_drop", lambda run: dropped.append(run.db_name))
    assert load_bench.main(["--users", "2", "--seconds", "1"]) == 1
    assert dropped and dropped[0].startswith("ips_load_bench_")
    assert list(tmp_path.iterdir()) == []


def test_a_phase_that_cannot_start_prints_errors_and_cleans_up(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(load_bench.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(load_bench, "database_prepare", lambda run: ("sqlite:///x", "SQLite"))
    monkeypatch.setattr(load_bench, "database_drop", lambda run: None)

    class DeadServer:
        base_url = "http://127.0.0.1:9"
        stopped = False

        def __init__(self, *args, **kwargs):
            pass

        def wait_ready(self):
            raise RuntimeError("gunicorn exited during start-up")

        def stop(self):
            DeadServer.stopped = True

    monkeypatch.setattr(load_bench, "Server", DeadServer)
    assert load_bench.main(["--users", "2", "--seconds", "1", "--phases", "cached"]) == 1
    out = capsys.readouterr().out
    assert "could not run: gunicorn exited during start-up" in out and "errors: 1" in out
    assert DeadServer.stopped
    assert list(tmp_path.iterdir()) == []


def test_sigterm_cleans_up_like_ctrl_c(tmp_path):
    script = textwrap.dedent(
        """
        import sys, time
        from bench import load_bench

        def prepare(run):
            (run.folder / "load.sqlite3").write_text("loading")
            print("READY", flush=True)
            time.sleep(60)

        load_bench.database_prepare = prepare
        sys.exit(load_bench.main(["--users", "2", "--seconds", "1"]))
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=_bare_env(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for line in process.stdout:
            if line.startswith("READY"):
                break
        assert any(tmp_path.iterdir())
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 1
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.1)
    assert list(tmp_path.iterdir()) == []


def test_a_signed_in_page_that_is_not_private_is_an_error():
    import httpx

    private = httpx.Response(200, headers={"Cache-Control": "private, no-store"})
    public = httpx.Response(200)
    from_cache = httpx.Response(
        200, headers={"Cache-Control": "private, no-store", "X-Page-Cache": "hit"}
    )
    assert load_bench.response_problem(private, "/", signed_in=True) == ""
    assert load_bench.response_problem(public, "/", signed_in=False) == ""
    assert "signed-in page" in load_bench.response_problem(public, "/", signed_in=True)
    assert "signed-in page" in load_bench.response_problem(from_cache, "/", signed_in=True)
    assert load_bench.response_problem(httpx.Response(500), "/x", signed_in=False) == "/x: HTTP 500"
