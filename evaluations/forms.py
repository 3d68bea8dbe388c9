"""Forms of the outcome-data admin pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

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

    def __init__(self, *args, sites=None, other_parameters: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None:
            self.fields["site"].queryset = sites
        self.other_parameters = other_parameters
        # An unknown value is refused with the values allowed, never silently dropped (which
        # would widen the result to all data).
        allowed = {
            "site": [s.slug for s in self.fields["site"].queryset.order_by("slug")],
            "metric": [m.code for m in self.fields["metric"].queryset.order_by("code")],
            "group": [value for value, _ in OutcomeObservation.Group.choices],
        }
        for name, values in allowed.items():
            self.fields[name].error_messages["invalid_choice"] = (
                f'"%(value)s" is not a known {name}. Allowed: {", ".join(values) or "none yet"}.'
            )
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = "Write the date as YYYY-MM-DD."
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "usa-select" if is_select else "usa-input")

    def clean(self) -> dict:
        # A misspelt parameter (or the API's "from"/"to") would otherwise be ignored and
        # widen the result to all data.
        allowed = [*self.fields, *self.other_parameters]
        unknown = [name for name in self.data if name not in allowed]
        if unknown:
            raise forms.ValidationError(
                f"Unknown parameter {', '.join(repr(n) for n in unknown)}. "
                f"Allowed: {', '.join(allowed)}."
            )
        return super().clean()

    def problems(self) -> list[str]:
        """Each invalid parameter as "name: message", for a 400 answer."""
        return [
            f"{name}: {' '.join(errors)}" if name != NON_FIELD_ERRORS else " ".join(errors)
            for name, errors in self.errors.items()
        ]

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
