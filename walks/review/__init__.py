"""review: coordinators go through a walk's observations, edit, hide and merge them (issue 3)."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
