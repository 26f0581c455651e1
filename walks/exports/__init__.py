"""exports: a walk's or an area's observations as CSV and GeoJSON (issue 3)."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
