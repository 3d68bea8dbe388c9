from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    """Outcome data from grantee sites and the analyses run on it."""

    name = "evaluations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from evaluations.analyses.services import on_observations_changed
        from evaluations.services import on_observations_changed_protect
        from evaluations.signals import observations_changed

        # Changed published data get their public protection worked out before a visitor.
        observations_changed.connect(
            on_observations_changed_protect, dispatch_uid="evaluations.disclosure.protect"
        )

        # New or corrected data makes the analyses that use it stale; they re-run.
        observations_changed.connect(
            on_observations_changed, dispatch_uid="evaluations.analyses.mark_stale"
        )

        # Published analyses feed the search index.
        from evaluations.analyses.search_source import AnalysisSource
        from portal.indexing import register_source

        register_source(AnalysisSource())
