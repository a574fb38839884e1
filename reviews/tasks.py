"""The BULI2 forwarding actor: thin, idempotent, takes a review id only."""

import dramatiq

from filot.queues import DEFAULT_QUEUE
from reviews import services
from reviews.buli2 import Buli2Refused


# Retries here come on top of the HTTP retries in reviews.buli2: minutes apart, so a
# review sent while the circuit is open is forwarded once BULI2 is back. Meanwhile
# it stays `open` in the admin queue, where reviewers can decide it.
@dramatiq.actor(
    queue_name=DEFAULT_QUEUE,
    max_retries=8,
    min_backoff=60_000,
    max_backoff=30 * 60_000,
    time_limit=5 * 60_000,
    throws=(Buli2Refused,),
)
def forward_review(review_id: str) -> None:
    services.forward_review(review_id=review_id)
