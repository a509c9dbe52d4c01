"""The loop shared by the background workers (mail delivery, jobs): poll, do a round of work,
wait, keep the process up when the database is away, and stop cleanly."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging

log = logging.getLogger("collectief.workers")

# The longest a worker waits between rounds, also while the database is unreachable.
MAX_IDLE_WAIT_SECONDS = 30.0


class PollingWorker(abc.ABC):
    """Subclasses implement ``run_once`` (one round; returns how much it handled) and set
    ``name`` (the task name) and ``what`` (used in log lines: "mail delivery", "job runner")."""

    name = "collectief-worker"
    what = "worker"

    def __init__(
        self, *, poll_seconds: float, batch_size: int, stop_timeout_seconds: float
    ) -> None:
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.stop_timeout_seconds = stop_timeout_seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @abc.abstractmethod
    async def run_once(self) -> int:
        """One round of work; returns how much it handled (a full batch means: go on at once)."""

    def started_details(self) -> dict[str, object]:
        return {}

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=self.name)
            log.info(f"{self.what} started", extra=self.started_details())

    async def stop(self) -> None:
        """Let the work in hand finish (for at most ``stop_timeout_seconds``), then stop. Work cut
        off keeps its lease and is done again once the lease runs out."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, self.stop_timeout_seconds)
        except TimeoutError:
            log.warning(f"{self.what} stopped mid-work; that work is retried after its lease")

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                handled = await self.run_once()
                failures = 0
            except Exception as error:
                # The database is unreachable or similar: keep the process up, try again later.
                failures += 1
                handled = 0
                log.warning(
                    f"{self.what}: queue unavailable", extra={"error_type": type(error).__name__}
                )
            if handled >= self.batch_size:
                continue  # more may be waiting: no pause
            wait = min(self.poll_seconds * 2 ** min(failures, 10), MAX_IDLE_WAIT_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), max(wait, self.poll_seconds))
