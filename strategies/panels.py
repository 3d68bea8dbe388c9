"""An InlinePanel only some users see and submit: evidence ratings are BJA staff's to set."""

from __future__ import annotations

from wagtail.admin.panels import InlinePanel, Panel


class PermissionInlinePanel(InlinePanel):
    """Shown only when the form kept its formset; ``StrategyPageForm`` drops the formset for
    users without ``permission``, so their saves neither show nor change the rows."""

    def __init__(self, relation_name: str, *args, permission: str, **kwargs) -> None:
        super().__init__(relation_name, *args, **kwargs)
        self.permission = permission

    def clone_kwargs(self) -> dict:
        kwargs = super().clone_kwargs()
        kwargs["permission"] = self.permission
        return kwargs

    class BoundPanel(InlinePanel.BoundPanel):
        def __init__(self, **kwargs) -> None:
            form = kwargs.get("form")
            self.withheld = form is not None and (
                kwargs["panel"].relation_name not in form.formsets
            )
            if self.withheld:
                Panel.BoundPanel.__init__(self, **kwargs)
                self.label = self.panel.label
                return
            super().__init__(**kwargs)

        def is_shown(self) -> bool:
            return not self.withheld and super().is_shown()
