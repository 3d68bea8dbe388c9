"""``manage.py db_app_role ROLE``: create or update the application's least-privileged
PostgreSQL role. Run it as the owner of the tables, after ``migrate``."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from portal.database_roles import RoleSetupError, app_role_apply, app_role_plan


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL role the web app and worker connect as: rows only, "
        "and on the audit log only SELECT and INSERT. Run as the tables' owner after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The application's role, e.g. ips_app.")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="Set the role's password from this environment variable (never on the "
            "command line, where other users could read it).",
        )
        parser.add_argument(
            "--print-sql",
            action="store_true",
            help="Print the statements (password hidden) instead of running them.",
        )

    def handle(self, *args, role: str, password_env: str | None, print_sql: bool, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if password is None:
                raise CommandError(
                    f"The environment variable {password_env} is not set; export it or leave "
                    "out --password-env."
                )
        try:
            plan = app_role_plan(role=role, password=password)
        except RoleSetupError as exc:
            raise CommandError(str(exc)) from exc
        if print_sql:
            for statement in plan.statements:
                shown = statement.split(" PASSWORD ")[0] + (
                    " PASSWORD '…'" if " PASSWORD " in statement else ""
                )
                self.stdout.write(shown + ";")
            return
        app_role_apply(plan)
        self.stdout.write(
            self.style.SUCCESS(
                f"Role {plan.role} may read and write the portal's rows in {plan.database} "
                f"(granted by {plan.owner}); on the audit log it may only read and append."
            )
        )
