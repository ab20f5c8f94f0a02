"""The test suite: real PostGIS and Redis, no tiles, fast password hashing."""

import time

from .base import *  # noqa: F403
from .base import LEAFLET_CONFIG, env

# The suite as if run on another day (scripts/moved_clock.sh): this process, and every process
# the tests start with these settings (Celery workers, gunicorn), moves its clock by the same
# offset with time-machine, which leaves the monotonic clock alone, so timeouts and sleeps
# keep real seconds. PostgreSQL and Redis are the real servers on the real clock.
TEST_CLOCK_OFFSET_SECONDS = env.float("TEST_CLOCK_OFFSET_SECONDS", default=0.0)
if TEST_CLOCK_OFFSET_SECONDS:
    import time_machine

    time_machine.travel(time.time() + TEST_CLOCK_OFFSET_SECONDS, tick=True).start()

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests must not reach for tiles: these machines have no network.
MAP_TILES_URL = ""
LEAFLET_CONFIG = {**LEAFLET_CONFIG, "TILES": []}
# A database of its own on Redis so tests never see a running demo's queue.
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
# Under pytest-xdist each worker (gw0, gw1, ...) has a Redis database of its own, counting
# down from the one named, as it has a test database of its own: a worker's Celery queue and
# cache are never another's. The processes a test starts inherit the worker's name.
_WORKER = env("PYTEST_XDIST_WORKER", default="")
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{max(int(_db or 0) - int(_WORKER[2:]), 0)}"
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": REDIS_URL, "KEY_PREFIX": "hotspots-test", "TIMEOUT": 600}}
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app folders as they are; no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

LOGGING = {**LOGGING, "loggers": {"axes": {"level": "WARNING"}}}  # noqa: F405
