"""The replays the API asked for (``POST /api/v1/ops/replays`` records them as 'queued' in
``ops_replay``), run by the materializer in a thread of its own next to its consumer loop.

The API cannot run a replay itself (it does not load the processors' sinks, README "Layout"),
and the materializer is the process that owns them. Every ``replay_poll_interval_s`` the
thread claims the oldest queued replay, or one whose runner stopped writing its heartbeat for
``replay_stale_after_s`` (a CLI replay that was killed, a materializer that restarted), and
runs it (streams/sinks/replay.py); its own consumer and connection, so the materializer's
batches go on meanwhile. A replay that fails is recorded 'failed' with its error.
"""

from __future__ import annotations

import threading
import uuid

import psycopg
import structlog

from core.settings import Settings
from readmodel import replays as store
from streams.sinks.replay import JobRecorder, ViewReplay, runner_name

log = structlog.get_logger(__name__)


class ReplayJobs(threading.Thread):
    def __init__(self, settings: Settings) -> None:
        super().__init__(name="replay-jobs", daemon=True)
        self.settings = settings
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        log.info("replay_jobs.started", poll_s=self.settings.replay_poll_interval_s)
        while not self.stopping.wait(self.settings.replay_poll_interval_s):
            try:
                claimed = self.claim()
                if claimed is not None:
                    self.run_one(*claimed)
            except psycopg.OperationalError as exc:  # the read model is away: try again later
                log.warning("replay_jobs.database_unavailable", error=str(exc))

    def claim(self) -> tuple[uuid.UUID, str, bool] | None:
        with psycopg.connect(self.settings.readmodel_dsn, autocommit=True) as conn:
            row = conn.execute(
                store.CLAIM_SQL,
                {"runner": runner_name(), "stale_after_s": self.settings.replay_stale_after_s},
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def run_one(self, job_id: uuid.UUID, view: str, mark_pending: bool) -> None:
        log.info("replay_jobs.claimed", id=str(job_id), view=view, mark_pending=mark_pending)
        recorder = JobRecorder(self.settings.readmodel_dsn, job_id)
        try:
            result = ViewReplay(
                view, self.settings, mark_pending=mark_pending, on_progress=recorder
            ).run()
        except Exception as exc:  # recorded on the job, which is how it is reported
            log.exception("replay_jobs.failed", id=str(job_id), view=view)
            recorder.finish(None, error=f"{type(exc).__name__}: {exc}")
            return
        recorder.finish(result)
