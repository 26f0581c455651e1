"""followup: placeholder until its issue is built."""


def init_app(app):
    pass
