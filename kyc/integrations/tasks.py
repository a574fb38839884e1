"""The webhook delivery actor (queue `default`). Thin and idempotent: it takes an outbox
row's id; `attempt_delivery` claims the row, so a duplicate message does nothing.
Retries are the outbox's own schedule (delayed messages and the sweep), not dramatiq's:
the schedule must survive a lost message."""

import dramatiq

from filot.queues import DEFAULT_QUEUE
from kyc.integrations import delivery


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0, time_limit=60_000)
def deliver_webhook(delivery_id: str) -> None:
    delivery.attempt_delivery(delivery_id=delivery_id)
