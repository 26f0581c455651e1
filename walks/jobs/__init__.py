"""Things that run by themselves: `flask --app app jobs run` (cron or a systemd timer, every minute).

Jobs: `open311-status` (fetch recipients' answers), `retry-sends` (failed sends, with backoff),
`reminders` (actions due or overdue, faults open longer than their category promises), `fixed-question`
("was it fixed?" to the walkers of a resolved fault), `walker-updates` (news to walkers who opted in).
Each is also its own command: `flask --app app jobs NAME`.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from . import open311_status, reminders, retry_sends  # noqa: F401  (they register themselves)
from . import fixed_question, walker_updates  # noqa: F401  (after the status fetch: they report its news)
from .runner import JOBS, run_due, run_job

jobs_group = AppGroup("jobs", help="Scheduled jobs: run whatever is due, or one job by name.")


@jobs_group.command("run")
def run_command():
    """Run every job that is due (safe to run on several machines at once)."""
    for name, summary in run_due().items():
        click.echo(f"{name}: {summary if summary is not None else 'not due, or running elsewhere'}")


@jobs_group.command("list")
def list_command():
    """The jobs and how often they run."""
    for job in JOBS.values():
        click.echo(f"{job.name}: every {int(job.every.total_seconds() // 60)} min — {job.help}")


def _job_command(name: str):
    @click.command(name, help=JOBS[name].help)
    def command():
        summary = run_job(name)
        click.echo(f"{name}: {summary if summary is not None else 'running elsewhere'}")
    return command


for _name in JOBS:
    jobs_group.add_command(_job_command(_name))


def init_app(app):
    app.cli.add_command(jobs_group)
