"""Forms: the admin form for a strategy page, and the public listing's filter form."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm

from portal.models import US_STATES, Jurisdiction
from portal.selectors import sites_user_can_edit
from strategies.choices import Rating, StrategySort, StrategyStatus

MAX_QUERY_LENGTH = 200
EVIDENCE_RATING_PERMISSION = "strategies.change_evidencerating"


class StrategyPageForm(WagtailAdminPageForm):
    """Limits the grantee site to the editor's own sites.

    Wagtail's page permissions are per subtree, and all strategies share one parent, so the
    per-site boundary has to be drawn here (and in the permission tester) rather than in the
    page tree.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "grantee_site" in self.fields:
            field = self.fields["grantee_site"]
            field.queryset = sites_user_can_edit(self.for_user).order_by("name")
            if not self.instance.grantee_site_id and not self.is_bound:
                only_site = list(field.queryset[:2])
                if len(only_site) == 1:
                    self.initial["grantee_site"] = only_site[0].pk


class OptionalMultipleChoiceField(forms.MultipleChoiceField):
    """Several values, where an empty one (a select's "Any" option) means no filter."""

    def to_python(self, value) -> list[str]:
        return [v for v in super().to_python(value) if v != ""]


class StrategyFilterForm(forms.Form):
    """The query string of /strategies/ (all optional; several values allowed per filter).

    Unknown choices make the form invalid, and the listing answers 400 with the reason, so a
    mistyped bookmark says what is wrong instead of silently showing everything.
    """

    q = forms.CharField(label="Keywords", required=False, max_length=MAX_QUERY_LENGTH)
    type = OptionalMultipleChoiceField(label="Strategy type", required=False)
    state = OptionalMultipleChoiceField(label="State", required=False, choices=US_STATES)
    kind = OptionalMultipleChoiceField(
        label="Jurisdiction kind", required=False, choices=Jurisdiction.Kind.choices
    )
    rating = OptionalMultipleChoiceField(
        label="Evidence rating", required=False, choices=Rating.choices
    )
    status = OptionalMultipleChoiceField(
        label="Status", required=False, choices=StrategyStatus.choices
    )
    year_from = forms.IntegerField(
        label="Started in or after", required=False, min_value=1990, max_value=2100
    )
    year_to = forms.IntegerField(
        label="Started in or before", required=False, min_value=1990, max_value=2100
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=StrategySort.choices)

    def __init__(
        self,
        *args,
        type_choices: list[tuple[str, str]],
        listed_states: set[str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices
        # Any state is a valid filter (a bookmark may name one whose strategies are gone), but
        # the select offers only states that have strategies, and whatever is selected.
        selected = set(self.data.getlist("state")) if hasattr(self.data, "getlist") else set()
        offered = set(listed_states if listed_states is not None else dict(US_STATES)) | selected
        self.state_options = [(code, name) for code, name in US_STATES if code in offered]

    def clean_q(self) -> str:
        value = self.cleaned_data["q"]
        if "\x00" in value:
            raise forms.ValidationError("Keywords cannot contain a null character.")
        return value.strip()

    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("year_from"), data.get("year_to")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("'Started in or after' is later than 'in or before'.")
        return data


class EvidenceRatingForm(forms.Form):
    """BJA staff's rating of a strategy on one outcome; the reason is required."""

    outcome = forms.CharField(max_length=150, help_text="e.g. 'Non-fatal shootings'.")
    metric_code = forms.CharField(
        max_length=64,
        required=False,
        help_text="The outcome metric's code, so a changed finding flags this rating.",
    )
    rating = forms.ChoiceField(choices=Rating.choices)
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why, in one sentence; it is shown with the rating and kept in the audit log.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the strategy gets this rating.")
        return reason
