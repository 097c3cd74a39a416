"""Background report jobs on huey: SQLite storage in the instance folder by default, Redis
when ``REDIS_URL`` is set. Progress is kept on the Report row, so any web process can show it.

The consumer is its own process (``make run`` starts it), built by ``worker.py`` at the
top of the repository, beside ``wsgi.py``::

    huey_consumer worker.huey --workers 1

It renders each report with a pool of worker processes at a lower CPU priority, so the web
app keeps answering while a big report is made. Nothing here builds the app: a job runs with
the app of the request that queued it (huey's immediate mode), or the one the consumer
bound (``bind_app``).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from ...extensions import db
from ...models import Report, ReportStatus
from ...models.types import utcnow
from .. import audit
from ..compliance import scope as scopes
from ..errors import DomainError
from ..private_files import private_file
from . import service, source

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_hueys: dict[tuple, Huey] = {}
_tasks: dict[int, object] = {}
_bound_app: Flask | None = None


def queue_settings(config, instance_path: str) -> tuple:
    """(kind, where, immediate): what queue a process with this configuration uses."""
    immediate = bool(config.get("REPORT_JOBS_IMMEDIATE"))
    if config.get("REDIS_URL"):
        return ("redis", config["REDIS_URL"], immediate)
    path = config.get("REPORT_QUEUE_FILE") or str(Path(instance_path) / "report-jobs.sqlite3")
    return ("sqlite", path, immediate)


def get_huey(config=None, instance_path: str | None = None) -> Huey:
    """The queue for this configuration (one instance per process and configuration)."""
    if config is None:
        config, instance_path = current_app.config, current_app.instance_path
    settings = queue_settings(config, instance_path)
    with _lock:
        instance = _hueys.get(settings)
        if instance is None:
            kind, where, immediate = settings
            if kind == "redis":
                instance = RedisHuey("tripledger-reports", url=where, immediate=immediate)
            else:
                if Path(where).parent.is_dir():  # owner-only from the start, like the database
                    private_file(where)
                instance = SqliteHuey("tripledger-reports", filename=where, immediate=immediate)
            _tasks[id(instance)] = instance.task(name="render_report")(_render_report_task)
            _hueys[settings] = instance
        return instance


def bind_app(app: Flask | None) -> None:
    """The app a consumer in this process runs jobs with (worker.py, or a test)."""
    global _bound_app
    _bound_app = app


def _job_app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()
    if _bound_app is None:
        raise RuntimeError("No app to run report jobs with: start the consumer with "
                           "'huey_consumer worker.huey' (worker.py binds the app).")
    return _bound_app


def enqueue(report_id: int) -> None:
    """Queue the job that makes report ``report_id`` (its row is committed: the job reads it).

    ``service.request_report`` calls this once the row is committed.
    """
    queue = get_huey()
    _tasks[id(queue)](report_id)


def _render_report_task(report_id: int) -> None:
    app = _job_app()
    # A fresh app context: a session of its own, also when huey runs the job immediately.
    with app.app_context():
        run(report_id)
        db.session.remove()


def _set_progress(report_id: int, fraction: float, stage: str) -> None:
    # Its own short transaction on its own connection, so the page polling the job sees it
    # at once. Progress is operational state, not data: it does not go through the audit
    # chain (the row's creation and its finished state do). Best effort: a busy database
    # delays the bar, never the report.
    try:
        with db.engine.begin() as conn:
            conn.execute(update(Report).where(Report.id == report_id)
                         .values(progress=max(0, min(int(fraction * 100), 99)),
                                 stage=stage[:200]))
    except OperationalError:
        logger.warning("could not record the progress of report %s", report_id)


def run(report_id: int) -> None:
    """Make the report of a queued row; mark it done or failed (with the reason)."""
    report = db.session.get(Report, report_id)
    if report is None or report.status not in (ReportStatus.QUEUED, ReportStatus.RUNNING):
        return
    audit.act_as(db.session, report.requested_by)  # the job acts for whoever asked
    report.status = ReportStatus.RUNNING
    report.stage = "Reading the data"
    db.session.commit()
    try:
        deployment = report.deployment
        scope = scopes.from_report(db.session, deployment, report.scope, report.scope_value)
        disclosure = source.load(db.session, deployment, scope)
        # The engine may have brought findings up to date: keep them, and release the
        # database (SQLite's write lock) before the long rendering.
        db.session.commit()
        service.issue(db.session, deployment, scope, actor=report.requested_by, report=report,
                      disclosure=disclosure,
                      progress=lambda fraction, stage: _set_progress(report_id, fraction, stage),
                      nice=int(service.setting("REPORT_JOB_NICE")))
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, DomainError) else \
            "The report could not be made; the server log has the details."
        if not isinstance(exc, DomainError):
            logger.exception("report job %s failed", report_id)
        failed = db.session.get(Report, report_id)
        failed.status = ReportStatus.FAILED
        failed.error = message
        failed.stage = "Failed"
        failed.finished_at = utcnow()
        db.session.commit()
