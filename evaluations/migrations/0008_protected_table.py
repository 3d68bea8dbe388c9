import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_merge_public_versions_and_review"),
        ("portal", "0004_grantee_site_media_collection"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProtectedTable",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "cells_hash",
                    models.CharField(
                        help_text="Hash of the published cells, their order and the policy.",
                        max_length=64,
                    ),
                ),
                ("status", models.JSONField(blank=True, default=list)),
                (
                    "seconds",
                    models.FloatField(default=0.0, help_text="Time taken to choose the pattern."),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "metric",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="protected_tables",
                        to="evaluations.outcomemetric",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="protected_tables",
                        to="portal.granteesite",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "metric", "cells_hash"), name="protected_table_per_cells"
                    )
                ],
            },
        ),
    ]
