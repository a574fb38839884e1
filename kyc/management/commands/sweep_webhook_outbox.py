"""`manage.py sweep_webhook_outbox`: re-send overdue webhook deliveries (ECS scheduled task)."""

from django.core.management.base import BaseCommand

from kyc.integrations.delivery import sweep_webhook_outbox


class Command(BaseCommand):
    help = "Re-send every pending webhook delivery whose message was lost or whose worker died."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"resent {sweep_webhook_outbox()}")
