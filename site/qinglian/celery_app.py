"""The Celery application. Configured from Django settings (``CELERY_*``).

With no ``CELERY_BROKER_URL`` the settings make every task run eagerly in-process, so
one command on one machine works; production points it at Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinglian.settings.dev")

app = Celery("qinglian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
