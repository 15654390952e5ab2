"""Outbox sweeps run by every Celery worker: every few seconds a worker sends a task that
re-sends what the broker never got (it was down when the work was asked for) or lost.
Nothing runs in the worker's main process but that send; while the broker is down the send
fails quietly and the next tick tries again."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from celery import bootsteps

logger = logging.getLogger(__name__)


class WorkerSweep(bootsteps.StartStopStep):
    """A worker step sending `task` every `seconds`. Subclasses name both and register
    themselves with register_sweep()."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Timer"}
    task: ClassVar[Any] = None
    seconds: ClassVar[float] = 30
    label: ClassVar[str] = "Sweep"

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None
        self.queue: str | None = None

    def start(self, worker: Any) -> None:
        # Sweep on a queue this worker consumes, so the sweep runs even on a dedicated queue.
        self.queue = next(iter(worker.app.amqp.queues.consume_from or ()), None)
        self.tref = worker.timer.call_repeatedly(self.seconds, self.sweep, priority=10)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def sweep(self) -> None:
        try:
            self.task.apply_async(retry=False, queue=self.queue)
        except Exception as error:
            logger.warning("%s not sent (is the broker down?): %s", self.label, error)


def register_sweep(step: type[WorkerSweep]) -> None:
    from psp.celery import app

    app.steps["worker"].add(step)
