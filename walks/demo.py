"""Demo data: placeholder until the foundation issue builds it."""


def init_app(app):
    pass
