"""The scheduled jobs: a registry, and a claim per job so several machines can run `jobs run` at once.

Each job is idempotent and claims its own rows with conditional updates, so running it twice at the
same moment handles each row once; the job-level claim only keeps a second copy from doing the same
work in parallel.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from ..extensions import db
from ..models import JobState, utcnow

STALE_AFTER = dt.timedelta(minutes=30)  # a claim older than this belongs to a machine that died


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime], str]  # takes "now", returns a one-line summary
    help: str


JOBS: dict[str, Job] = {}


def job(name: str, every: dt.timedelta, help: str):
    def register(function):
        JOBS[name] = Job(name, every, function, help)
        return function
    return register


def _state(name: str) -> JobState:
    state = db.session.get(JobState, name)
    if state is None:
        db.session.add(JobState(name=name, last_summary=""))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # another machine made it at the same moment
            db.session.rollback()
        state = db.session.get(JobState, name)
    return state


def claim(name: str, now: dt.datetime, due_only: bool) -> bool:
    """Take the job's claim (a conditional UPDATE): True for exactly one of several callers."""
    job_ = JOBS[name]
    state = _state(name)
    conditions = [JobState.name == name,
                  sa.or_(JobState.running_since.is_(None), JobState.running_since < now - STALE_AFTER)]
    if due_only and state.last_started_at is not None:
        conditions.append(JobState.last_started_at <= now - job_.every)
    taken = db.session.execute(sa.update(JobState).where(*conditions)
                               .values(running_since=now, last_started_at=now)).rowcount == 1
    db.session.commit()
    return taken


def release(name: str, summary: str) -> None:
    db.session.execute(sa.update(JobState).where(JobState.name == name)
                       .values(running_since=None, last_finished_at=utcnow(), last_summary=summary[:2000]))
    db.session.commit()


def run_job(name: str, now: dt.datetime | None = None, due_only: bool = False) -> str | None:
    """Run one job if its claim can be taken; its summary, or None when it was not run."""
    now = now or utcnow()
    if not claim(name, now, due_only):
        return None
    try:
        summary = JOBS[name].run(now)
    except Exception as error:
        db.session.rollback()
        release(name, f"failed: {type(error).__name__}: {error}")
        raise
    release(name, summary)
    return summary


def run_due(now: dt.datetime | None = None) -> dict[str, str | None]:
    """Every job whose interval has passed since it last started."""
    now = now or utcnow()
    return {name: run_job(name, now, due_only=True) for name in JOBS}
