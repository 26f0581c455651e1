"""areas: the coordinator's home – areas with their walks, join codes, QR codes and posters."""


def init_app(app):
    from .routes import bp

    app.register_blueprint(bp)
