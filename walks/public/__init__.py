"""public: the published page of a walk or an area ("Vad hände sedan?"), in Swedish and English (issue 10)."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
