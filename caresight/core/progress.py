"""Progress of long work: a bar in the terminal, a job record for the browser."""

import time
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, message: str = "") -> None: ...
    def advance(self, count: int = 1) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    def start(self, total: int, message: str = "") -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


class TerminalProgress:
    """A tqdm bar on standard error."""

    def __init__(self, *, disable: bool = False):
        self.disable = disable
        self.bar = None

    def start(self, total: int, message: str = "") -> None:
        from tqdm import tqdm

        if self.bar is not None:
            self.bar.close()
        self.bar = tqdm(total=total, desc=message, unit="row", disable=self.disable, leave=True)

    def advance(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class JobProgress:
    """Keeps a Job's counters current, writing at most twice a second."""

    def __init__(self, job):
        self.job = job
        self._last_write = 0.0

    def start(self, total: int, message: str = "") -> None:
        self.job.total, self.job.done, self.job.message = total, 0, message[:255]
        self._save(force=True)

    def advance(self, count: int = 1) -> None:
        self.job.done = min(self.job.done + count, self.job.total)
        self._save()

    def finish(self) -> None:
        self.job.done = self.job.total
        self._save(force=True)

    def _save(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_write > 0.5:
            type(self.job).objects.filter(pk=self.job.pk).update(
                done=self.job.done, total=self.job.total, message=self.job.message
            )
            self._last_write = now


