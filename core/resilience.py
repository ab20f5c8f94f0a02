"""Redis is a cache and a queue here, never the record: when it is down, requests still
answer and committed work is not lost (issue 7, "Faults"; docs/adr/0010)."""

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_MISSING = object()


def cache_get(key: str) -> Any:
    """The cached value, or None when it is absent or the cache cannot be reached."""
    try:
        return cache.get(key)
    except RedisError:
        logger.warning("cache unreachable; building %s afresh", key.split(":")[0])
        return None


def cache_set(key: str, value: Any) -> None:
    try:
        cache.set(key, value)
    except RedisError:
        logger.warning("cache unreachable; %s not cached", key.split(":")[0])


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Send a Celery task once the transaction has committed. If the broker cannot be
    reached the change stands and the job stays queued in PostgreSQL: the resume beat task
    (hotspots.tasks.jobs_resume) sends it again, rather than the request failing after
    its commit."""

    def send() -> None:
        try:
            task.delay(*args)
        except (BrokerError, RedisError, OSError):
            logger.warning("broker unreachable: %s%r stays queued for the resume task",
                           task.name, args)

    transaction.on_commit(send)
