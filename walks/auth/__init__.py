"""auth: coordinator accounts, log in and out, and the create-user command."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from . import service, sessions

login_manager.user_loader(sessions.load_user)


@click.command("create-user")
@click.argument("email")
@click.option("--role", default="coordinator", show_default=True, help="admin, coordinator or viewer")
@click.option("--name", default="", help="The name shown in the app.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for (twice) when not given.")
@with_appcontext
def create_user_command(email, role, name, password):
    """Create a login account: flask --app app create-user EMAIL --role coordinator"""
    try:
        user = service.create_user(email, password, role=role, name=name)
    except service.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


def init_app(app):
    from .routes import bp
    from .users import bp as users_bp

    sessions.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(users_bp)
    app.cli.add_command(create_user_command)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to see that page.")
    login_manager.login_message_category = "warning"
