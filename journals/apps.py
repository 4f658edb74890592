from django.apps import AppConfig


class JournalsConfig(AppConfig):
    name = "journals"
    verbose_name = "Pain, sleep and use journal"

    def ready(self) -> None:
        from journals.flags import triage

        triage.connect_signals()
