"""categories: the list of what walkers can note, and the seed command."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from .service import seed_categories


@click.command("seed")
@with_appcontext
def seed_command():
    """Add the default categories that are missing (safe to run again)."""
    added = seed_categories()
    db.session.commit()
    click.echo(f"Added {added} default categories." if added else "The default categories are in place.")


def init_app(app):
    from .routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(seed_command)
