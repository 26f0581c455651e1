"""Fault reports (felanmälan): routing rules, drafts per recipient, outputs, sending and status."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
