"""capture: walkers join a walk with its code and log geotagged observations with photos (issue 3)."""


def init_app(app):
    from . import offline
    from .routes import bp
    app.register_blueprint(bp)
    app.register_blueprint(offline.bp)
