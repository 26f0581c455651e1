"""Street addresses for points, from an address file the municipality loads: no third-party service."""
from __future__ import annotations

from .service import nearest_address  # noqa: F401  (the capability's one question)


def init_app(app):
    from .cli import addresses_group
    app.cli.add_command(addresses_group)
