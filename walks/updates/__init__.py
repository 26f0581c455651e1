"""updates: walkers hear what happened: opt-in e-mail for news of their walk, and "was it fixed?" (issue 10)."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
