"""Authenticator seeds sealed in place (patients.sealed): the hex seeds django-otp kept become
sealed values, so the codes on people's phones keep working. Run twice, nothing changes;
going back opens them again (with the key that sealed them)."""

from binascii import hexlify, unhexlify
from typing import Any

from django.db import migrations


def seal_seeds(apps: Any, schema_editor: Any) -> None:
    from patients.sealed import is_sealed, seal

    devices = apps.get_model("otp_totp", "TOTPDevice").objects
    for device in devices.using(schema_editor.connection.alias).only("key"):
        if not is_sealed(device.key):
            device.key = seal(unhexlify(device.key))
            device.save(update_fields=["key"])


def open_seeds(apps: Any, schema_editor: Any) -> None:
    from patients.sealed import is_sealed, unseal

    devices = apps.get_model("otp_totp", "TOTPDevice").objects
    for device in devices.using(schema_editor.connection.alias).only("key"):
        if is_sealed(device.key):
            device.key = hexlify(unseal(device.key)[0]).decode()
            device.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [
        ("otp_totp", "0003_add_timestamps"),
        ("patients", "0006_backup_codes_hashed"),
    ]

    operations = [
        migrations.CreateModel(
            name="Authenticator",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(seal_seeds, open_seeds),
    ]
