"""django-import-export resources for outcome observations.

``OutcomeObservationResource`` describes a row the way upload files and exports do (site
slug, metric code, natural-key ``import_id_fields``). The portal's own import does not go
through it row by row (see ``services``: validated bulk path, ~10× faster); it is used for
exports and as the baseline the import benchmark compares against.
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from evaluations.disclosure import number_text
from evaluations.models import OutcomeMetric, OutcomeObservation
from evaluations.selectors import OBSERVATION_COLUMNS
from portal.models import GranteeSite


class OutcomeObservationResource(resources.ModelResource):
    site = fields.Field(
        attribute="site", column_name="site", widget=widgets.ForeignKeyWidget(GranteeSite, "slug")
    )
    metric = fields.Field(
        attribute="metric",
        column_name="metric",
        widget=widgets.ForeignKeyWidget(OutcomeMetric, "code"),
    )

    class Meta:
        model = OutcomeObservation
        fields = OBSERVATION_COLUMNS
        export_order = fields
        import_id_fields = OutcomeObservation.NATURAL_KEY

    def dehydrate_value(self, observation: OutcomeObservation) -> str:
        """Whole numbers without a trailing ".0", as analysts typed them."""
        return number_text(observation.value)

    def dehydrate_denominator(self, observation: OutcomeObservation) -> str:
        return number_text(observation.denominator)
