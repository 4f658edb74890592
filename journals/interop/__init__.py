"""The journal in and out of Mitra: CSV export and import, FHIR R4 bundles, their API and pages."""
