"""followup: an area's dashboard (charts drawn as inline SVG) and the before/after comparison of two walks."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
