"""History outlives the rows a rollback removes: the link to the row may be cleared, each
entry keeps the row's natural key, and a removal is an entry of its own."""

import django.db.models.deletion
from django.db import migrations, models

NATURAL_KEY = (
    "site",
    "metric",
    "area",
    "group",
    "period_start",
    "period_end",
    "dimension",
    "category",
)


def fill_keys(apps, schema_editor):
    """Give existing entries the natural key of the row they are about."""
    history = apps.get_model("evaluations", "ObservationHistory")
    entries = history.objects.filter(observation__isnull=False).select_related("observation")
    batch = []
    for entry in entries.iterator(chunk_size=2000):
        obs = entry.observation
        key = {}
        for name in NATURAL_KEY:
            value = getattr(obs, obs._meta.get_field(name).attname)
            key[name] = value.isoformat() if hasattr(value, "isoformat") else value
        entry.observation_key = key
        batch.append(entry)
        if len(batch) >= 2000:
            history.objects.bulk_update(batch, ["observation_key"])
            batch = []
    if batch:
        history.objects.bulk_update(batch, ["observation_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_merge_public_versions_and_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="observationhistory",
            name="observation_key",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="The row's natural key (site and metric as ids).",
            ),
        ),
        migrations.AlterField(
            model_name="observationhistory",
            name="observation",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty once a rollback removed the row; observation_key still names it.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="history",
                to="evaluations.outcomeobservation",
            ),
        ),
        migrations.AlterField(
            model_name="observationhistory",
            name="new_value",
            field=models.FloatField(blank=True, help_text="Empty when removed.", null=True),
        ),
        migrations.AlterField(
            model_name="observationhistory",
            name="action",
            field=models.CharField(
                choices=[
                    ("updated", "Updated by upload"),
                    ("rolled_back", "Restored by rollback"),
                    ("removed", "Removed by rollback"),
                ],
                default="updated",
                max_length=12,
            ),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
