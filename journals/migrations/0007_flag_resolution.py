"""A flag keeps its acknowledgement and its resolution apart: who resolved it and their note,
besides who acknowledged it and theirs (0008 fills them in for flags resolved before)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journals", "0006_triage_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="flag", old_name="note", new_name="acknowledgement_note"),
        migrations.AddField(
            model_name="flag",
            name="resolved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="flags_resolved",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="flag",
            name="resolution_note",
            field=models.CharField(blank=True, max_length=2000),
        ),
    ]
