"""``import_outcomes``: output format and exit codes 0 / 1 / 2."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluations.models import OutcomeObservation, UploadBatch
from tests.evaluations.helpers import FIXTURES, csv_bytes, month_rows

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_outcomes", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue(), err.getvalue()


def test_success_prints_summary_and_exits_0(site_a):
    code, out, _ = run(str(FIXTURES / "outcomes_clean.csv"), "--site", "site-a")
    assert code == 0
    assert "28 new" in out and "Imported as batch" in out
    assert OutcomeObservation.objects.count() == 28
    assert UploadBatch.objects.get().source == "command"


def test_errors_print_row_and_column_and_exit_1(site_a, tmp_path):
    data = (FIXTURES / "outcomes_messy.csv").read_bytes().replace(b"harlow-county-mo", b"site-a")
    path = tmp_path / "messy.csv"
    path.write_bytes(data)
    code, out, err = run(str(path), "--site", "site-a")
    assert code == 1
    assert 'row 5, column metric: Unknown metric "nonfatal_shooting".' in out
    assert "row 6, column group:" in out
    assert "nothing was written" in err
    assert OutcomeObservation.objects.count() == 0


def test_dry_run_writes_nothing(site_a):
    code, out, _ = run(str(FIXTURES / "outcomes_clean.csv"), "--site", "site-a", "--dry-run")
    assert code == 0 and "Dry run" in out
    assert OutcomeObservation.objects.count() == 0


def test_reupload_says_when_imported_before(site_a):
    run(str(FIXTURES / "outcomes_clean.csv"), "--site", "site-a")
    code, out, _ = run(str(FIXTURES / "outcomes_clean.csv"), "--site", "site-a")
    assert code == 0 and "imported before" in out
    assert UploadBatch.objects.count() == 1


@pytest.mark.parametrize(
    "args",
    [
        ("missing.csv", "--site", "site-a"),
        ("{clean}", "--site", "no-such-site"),
        ("{clean}", "--site", "site-a", "--user", "nobody"),
    ],
)
def test_usage_errors_exit_2(site_a, args):
    args = [a.format(clean=FIXTURES / "outcomes_clean.csv") for a in args]
    code, _, _ = run(*args)
    assert code == 2
    assert OutcomeObservation.objects.count() == 0


def test_user_permissions_apply(site_a, site_b, contributor_b, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(*month_rows("homicides", "A", "treatment", [1])))
    code, _, err = run(str(path), "--site", "site-a", "--user", contributor_b.username)
    assert code == 2 and "may not upload" in err
    code, _, _ = run(str(path), "--site", "site-b", "--user", contributor_b.username)
    assert code == 0
    assert UploadBatch.objects.get().uploaded_by == contributor_b


def test_missing_site_option_is_a_usage_error(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "import_outcomes", str(FIXTURES / "outcomes_clean.csv")],
        capture_output=True,
        text=True,
        cwd=FIXTURES.parent,
    )
    assert result.returncode == 2
    assert "--site" in result.stderr
