"""Map pages: placeholder until the maps issue builds them."""


def init_app(app):
    pass
