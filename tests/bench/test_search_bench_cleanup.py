"""The search bench reports a failed engine (``errors: N``, non-zero exit) and drops its
database and temporary folder whatever happens, with a database name of its own per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import search_bench


@pytest.fixture
def dropped(monkeypatch):
    calls = []
    monkeypatch.setattr(search_bench, "pg_database_drop", lambda base, name: calls.append(name))
    return calls


def test_a_failed_engine_counts_as_an_error(monkeypatch, capsys, dropped):
    monkeypatch.setattr(search_bench, "_worker_run", lambda args, engine: (1, "", "boom"))
    assert search_bench.main(["--engines", "postgresql", "--docs", "10"]) == 1
    out = capsys.readouterr().out
    assert "postgresql: failed" in out and "errors: 1" in out


def test_an_interrupted_run_drops_its_database(monkeypatch, capsys, dropped):
    def interrupted(args, engine):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_bench, "_worker_run", interrupted)
    assert search_bench.main(["--engines", "postgresql", "--docs", "10"]) == 1
    assert len(dropped) == 1 and dropped[0].startswith("ips_search_bench_")
    assert "errors: 1" in capsys.readouterr().out


@pytest.mark.parametrize("failure", [RuntimeError("index failed"), KeyboardInterrupt()])
def test_a_worker_drops_its_database_and_folder_when_it_fails(
    monkeypatch, tmp_path, dropped, failure
):
    monkeypatch.setattr(search_bench.tempfile, "tempdir", str(tmp_path))
    folders: list[Path] = []

    def engine_run(args, engine, folder):
        folders.append(folder)
        (folder / "search.sqlite3").write_text("half-built")
        raise failure

    monkeypatch.setattr(search_bench, "_run_engine", engine_run)
    args = search_bench.argparse.Namespace(pg="postgres://x/", pg_db="ips_search_bench_t")
    with pytest.raises(type(failure)):
        search_bench.run_engine(args, "postgresql")
    assert dropped == ["ips_search_bench_t"]
    assert folders and not folders[0].exists()


def test_each_run_gets_its_own_database_name(monkeypatch):
    names = []
    monkeypatch.setattr(
        search_bench, "_worker_run", lambda args, engine: names.append(args.pg_db) or (1, "", "")
    )
    for _ in range(2):
        search_bench.main(["--engines", "sqlite", "--docs", "10"])
    assert names[0] != names[1] and all(n.startswith("ips_search_bench_") for n in names)
