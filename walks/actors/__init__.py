"""Actors (aktörer) and contact lists: organizations, their contacts and the areas they take part in."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
