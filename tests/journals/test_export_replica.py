"""Exports read the journal from ``EXPORT_DATABASE``: a read replica when one is configured
(DATABASE_REPLICA_URL, docs/DEPLOY.md). Here the replica is Django's test mirror of the test
database, so the rows are there and the queries can be told apart by connection."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.factories import PainEntryFactory, PatientFactory


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_csv_and_fhir_exports_read_the_entries_from_the_export_database(settings):
    patient = PatientFactory()
    entry = PainEntryFactory(patient=patient, intensity=4)
    client = client_for(patient)
    settings.EXPORT_DATABASE = "replica"

    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        csv = b"".join(client.get("/api/v1/me/export/pain.csv").streaming_content).decode()
        bundle = client.get("/api/v1/me/fhir/").json()

    assert str(entry.pk) in csv
    assert any(r["resource"]["resourceType"] == "Observation" for r in bundle["entry"])

    def reads_pain(queries: CaptureQueriesContext) -> bool:
        return any('"journals_painentry"' in q["sql"] for q in queries.captured_queries)

    assert reads_pain(replica)
    assert not reads_pain(default)  # the session, the person and the audit stay on default
