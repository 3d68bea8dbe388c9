"""``python manage.py import_outcomes PATH --site SLUG [--dry-run] [--user USERNAME]``

Imports one outcome-data file through the same validated path as the admin and the API.
Prints a summary and each problem as ``row N, column X: message``. Exit codes: 0 success
(or nothing to do), 1 the file has errors (nothing written), 2 usage errors (unknown site or
user, missing file, no permission).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from evaluations.models import UploadBatch
from evaluations.services import outcome_upload
from evaluations.uploads.report import report_lines
from portal.models import GranteeSite


class Command(BaseCommand):
    help = "Validate and import an outcome-data CSV/XLSX/JSON file for one grantee site."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="CSV, XLSX or JSON file to import.")
        parser.add_argument("--site", required=True, help="Slug of the grantee site.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Act as this user (their permissions apply and the batch records them).",
        )

    def handle(self, *args, path: str, site: str, dry_run: bool, user: str | None, **options):
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"No such file: {path}", returncode=2)
        try:
            grantee_site = GranteeSite.objects.get(slug=site)
        except GranteeSite.DoesNotExist as exc:
            raise CommandError(f"Unknown site: {site}", returncode=2) from exc
        acting_user = None
        if user:
            try:
                acting_user = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"Unknown user: {user}", returncode=2) from exc
        try:
            with file_path.open("rb") as stream:
                outcome = outcome_upload(
                    site=grantee_site,
                    user=acting_user,
                    stream=stream,
                    file_name=file_path.name,
                    source=UploadBatch.Source.COMMAND,
                    dry_run=dry_run,
                )
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for line in report_lines(outcome.report):
            self.stdout.write(line)
        if not outcome.report["ok"]:
            self.stderr.write("The file has errors; nothing was written.")
            raise SystemExit(1)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif outcome.written:
            self.stdout.write(self.style.SUCCESS(f"Imported as batch {outcome.batch.pk}."))
