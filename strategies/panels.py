"""Editor panels of strategy pages that are not fields: BJA's notice of ratings to check."""

from __future__ import annotations

from wagtail.admin.panels import Panel


class EvidenceRatingsToCheckPanel(Panel):
    """A notice at the top of a strategy's editor, for BJA staff only, listing its ratings
    whose stated reasons rest on a finding that has since changed.

    It edits nothing (ratings stay outside the page's revisions); it links to the ratings
    screen, where rating again clears the flag.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "strategies/admin/ratings_to_check_panel.html"

        def _ratings(self):
            from strategies.selectors import evidence_ratings_to_check

            if not hasattr(self, "_flagged"):
                page_id = getattr(self.instance, "pk", None)
                self._flagged = (
                    list(evidence_ratings_to_check(self.request.user, page_id=page_id))
                    if page_id and self.request is not None
                    else []
                )
            return self._flagged

        def is_shown(self) -> bool:
            return bool(self._ratings())

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["ratings"] = self._ratings()
            context["page_id"] = self.instance.pk
            return context
