"""privacy: the privacy page, a walker's own data (see, download, delete), erasure on request, the audit log."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
