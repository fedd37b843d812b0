"""Publishing to the broker without ever failing or slowing a request.

Work is always kept in the database first (an outbox row, a notification, a reminder); publishing only
hands it over sooner. If the broker cannot be reached within a fraction of a second, publishing gives
up and the periodic relays send it later.
"""

import logging

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

FAST_FAIL = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def publish(task, *, args: list, queue: str) -> bool:
    """Queue `task(*args)` (ids only); False if the broker is unreachable (the caller's row waits)."""
    try:
        task.apply_async(args=args, queue=queue, retry=True, retry_policy=FAST_FAIL)
    except OperationalError:
        logger.warning("broker unavailable; %s left for its relay", task.name)
        return False
    return True
