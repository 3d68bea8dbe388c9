"""Forms of the outcome-data admin pages."""

from __future__ import annotations

from django import forms

from evaluations.models import OutcomeMetric, OutcomeObservation
from portal.models import GranteeSite


class OutcomeUploadForm(forms.Form):
    site = forms.ModelChoiceField(queryset=GranteeSite.objects.none(), label="Grantee site")
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="Use the template; the first row holds the column names.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )

    def __init__(self, *args, sites, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()


class PublishForm(forms.Form):
    site = forms.ModelChoiceField(queryset=GranteeSite.objects.none(), label="Grantee site")
    metric = forms.ModelChoiceField(
        queryset=OutcomeMetric.objects.all(),
        required=False,
        empty_label="All metrics",
        help_text="Leave empty to publish every unpublished figure of the site.",
    )
    action = forms.ChoiceField(
        choices=[("publish", "Publish"), ("unpublish", "Withdraw from public view")],
        initial="publish",
    )

    def __init__(self, *args, sites, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class ObservationFilterForm(forms.Form):
    """Filters shared by the public data page and the admin export."""

    site = forms.ModelChoiceField(
        queryset=GranteeSite.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="All sites",
    )
    metric = forms.ModelChoiceField(
        queryset=OutcomeMetric.objects.all(),
        required=False,
        to_field_name="code",
        empty_label="All metrics",
    )
    group = forms.ChoiceField(
        choices=[("", "Both groups"), *OutcomeObservation.Group.choices], required=False
    )
    area = forms.CharField(required=False, max_length=100)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, sites=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if sites is not None:
            self.fields["site"].queryset = sites
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "usa-select" if is_select else "usa-input")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "site": data["site"].slug if data.get("site") else None,
            "metric": data["metric"].code if data.get("metric") else None,
            "group": data.get("group") or None,
            "area": data.get("area") or None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
