from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "People, clinics and care teams"

    def ready(self) -> None:
        from patients import audit, auth

        audit.connect_signals()
        auth.connect_signals()  # sign-in (issue #6): session stamps; end sessions on changes
