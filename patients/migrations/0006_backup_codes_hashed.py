"""Backup codes kept before this release were the codes themselves: keep their digests
instead (patients.mfa.backup_code_digests), so the codes people wrote down still work and
the database no longer holds them. A digest is 16 characters, a code 8: run twice, nothing
changes. Going back cannot recover the codes; people then make new ones in Settings."""

from typing import Any

from django.db import migrations
from django.db.models.functions import Length

CODE_LENGTH = 8


def keep_digests(apps: Any, schema_editor: Any) -> None:
    from patients.mfa import backup_code_digests

    StaticToken = apps.get_model("otp_static", "StaticToken")
    tokens = StaticToken.objects.using(schema_editor.connection.alias)
    for token in tokens.alias(length=Length("token")).filter(length__lte=CODE_LENGTH):
        token.token = backup_code_digests(token.token)[0]
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0005_triage_summary"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(keep_digests, migrations.RunPython.noop)]
