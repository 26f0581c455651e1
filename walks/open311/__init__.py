"""Open311 GeoReport v2 API at /open311/v2/, and the `api-key` CLI for its clients."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("api-key")
def api_key_cli():
    """Keys for Open311 clients (only their sha256 is stored)."""


@api_key_cli.command("create")
@click.argument("name")
@click.option("--organization", "organization_id", type=int, default=None,
              help="The id of the body (actor) the key belongs to: it reads the requests sent to it.")
@with_appcontext
def create_command(name, organization_id):
    """Create a key; it is printed once, alone on the last line."""
    from ..extensions import db
    from .service import create_api_key
    try:
        key = create_api_key(name, organization_id)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created API key {name!r}. It is shown only now:")
    click.echo(key)


@api_key_cli.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_command(name):
    """Revoke a key: clients using it get 403."""
    from ..extensions import db
    from .service import revoke_api_key
    try:
        revoke_api_key(name)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Revoked API key {name!r}.")


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
    app.cli.add_command(api_key_cli)
