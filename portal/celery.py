"""The Celery app. Broker: REDIS_URL, or kombu's filesystem transport when unset."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")


@app.on_after_configure.connect
def broker_folders_make(sender, **kwargs) -> None:
    """The embedded (filesystem) broker writes into folders that must exist: made when the app
    reads its configuration, before its first message, so a worker, `make run` and a command run
    on its own (seed_demo queues the dispatcher) all find them. Importing settings makes none."""
    if not str(sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@task_prerun.connect
def clinic_zone_for_task(**kwargs) -> None:
    """Every task renders its messages and logs in the clinic's zone (read afresh per task)."""
    from portal.clock import clinic_zone_activate

    clinic_zone_activate()


@task_postrun.connect
def clinic_zone_after_task(**kwargs) -> None:
    from django.utils import timezone

    timezone.deactivate()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
