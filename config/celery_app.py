"""Celery application: broker Redis, tasks discovered in each Django app's tasks.py."""

import os

from celery import Celery

# Whatever serves the application without naming its settings gets production's (make demo
# names config.settings.local).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("hotspots")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
