"""Flags resolved before 0007 kept one note, written over by the resolution's, and no
resolver: fill in the resolution (apart from the schema change, whose new foreign key's index
PostgreSQL cannot build in a transaction that has just written to it).

One resolved straight from open was acknowledged by the resolver at the same instant, so its
note and person are the resolution's. The resolver of one acknowledged first is the actor of
its "resolved" audit event; its note stays the acknowledgement's, as which clinician wrote it
was not kept. Run twice, nothing changes. Going back puts a resolution note back in the
single note, over an acknowledgement note.
"""

from typing import Any

from django.db import migrations
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast


def keep_resolutions_apart(apps: Any, schema_editor: Any) -> None:
    alias = schema_editor.connection.alias
    flags = apps.get_model("journals", "Flag").objects.using(alias)
    events = apps.get_model("patients", "AuditEvent").objects.using(alias)
    resolved = flags.filter(status="resolved")
    at_once = resolved.filter(acknowledged_at=F("resolved_at"))
    at_once.filter(resolution_note="").update(
        resolution_note=F("acknowledgement_note"), acknowledgement_note=""
    )
    resolver = events.filter(
        action="flag_resolved", object_type="flag", object_id=Cast(OuterRef("pk"), CharField())
    ).order_by("-at")
    resolved.filter(resolved_by=None).update(resolved_by=Subquery(resolver.values("actor")[:1]))
    at_once.filter(resolved_by=None).update(resolved_by=F("acknowledged_by"))


def one_note_again(apps: Any, schema_editor: Any) -> None:
    flags = apps.get_model("journals", "Flag").objects.using(schema_editor.connection.alias)
    flags.exclude(resolution_note="").update(acknowledgement_note=F("resolution_note"))


class Migration(migrations.Migration):
    dependencies = [
        ("journals", "0007_flag_resolution"),
        ("patients", "0007_authenticator_sealed"),
    ]

    operations = [migrations.RunPython(keep_resolutions_apart, one_note_again)]
