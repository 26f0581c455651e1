"""The action plan (åtgärdsplan): action items, their log, spreadsheets and follow-up meetings."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
