"""``python manage.py disclosure_audit [--site SLUG]``

For each grantee site (or one), gathers every public figure about its suppressible counts
through the same code the public pages use and computes, for each hidden small count, the
tightest interval an outsider can derive (linear programming, min and max). Lists every cell
whose interval is narrower than its protection interval. Exit codes: 0 nothing exposed,
1 at least one cell exposed (each named), 2 unknown site.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluations.disclosure_audit import disclosure_audit
from portal.disclosure import disclosure_policy
from portal.models import GranteeSite


class Command(BaseCommand):
    help = "Check that no hidden small count can be worked out from what the portal publishes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", help="Slug of one grantee site (default: every site).")

    def handle(self, *args, site: str | None = None, **options) -> None:
        sites = GranteeSite.objects.order_by("slug")
        if site:
            sites = sites.filter(slug=site)
            if not sites.exists():
                raise CommandError(f"No grantee site with slug {site!r}.", returncode=2)
        policy = disclosure_policy()
        self.stdout.write(
            f"Protection interval {policy.protected_range[0]} to {policy.protected_range[1]}; "
            f"secondary suppression {'on' if policy.secondary_suppression else 'OFF'}; "
            f"relations: {', '.join(policy.relations)}."
        )
        reports = disclosure_audit(sites)
        exposed = 0
        for report in reports:
            self.stdout.write(
                f"{report.site}: {report.cells} public cells, {report.primary} small counts "
                f"hidden, {report.secondary} hidden to protect them, {report.analyses} public "
                f"analyses adding {report.figures} figures: "
                + ("EXPOSED" if report.exposed else "ok")
            )
            for note in report.notes:
                self.stdout.write(f"  note: {note}")
            for cell in report.exposed:
                self.stdout.write(f"  EXPOSED {cell.describe()}")
            exposed += len(report.exposed)
        if exposed:
            self.stderr.write(f"{exposed} hidden small count(s) can be narrowed; see above.")
            raise SystemExit(1)
        self.stdout.write("No hidden small count can be narrowed below its protection interval.")
