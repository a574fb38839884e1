from django.apps import AppConfig


class KycConfig(AppConfig):
    name = "kyc"
    verbose_name = "KYC"

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks

        from filot.broker import register_periodic
        from kyc.checks import check_compiled_reads
        from kyc.integrations import admin as _integrations_admin  # noqa: F401  (registers it)
        from kyc.integrations.delivery import sweep_webhook_outbox
        from kyc.services import reap_stuck_documents, run_retention_purge

        # The hot reads compiled at start-up: a broken one fails the start, not a request.
        checks.register(check_compiled_reads)
        # The embedded worker (make run) runs the reaper itself; in production an ECS
        # scheduled task runs `manage.py reap_stuck_documents`.
        register_periodic(
            "reap_stuck_documents", reap_stuck_documents, every=lambda: settings.REAPER_INTERVAL_SECONDS
        )
        # The same for the retention purge (`manage.py purge_expired_data`).
        register_periodic(
            "purge_expired_data", run_retention_purge, every=lambda: settings.PURGE_INTERVAL_SECONDS
        )
        # The webhook outbox's sweep, the same way (ECS: `manage.py sweep_webhook_outbox`).
        register_periodic(
            "sweep_webhook_outbox",
            sweep_webhook_outbox,
            every=lambda: settings.WEBHOOK_SWEEP_INTERVAL_SECONDS,
        )
