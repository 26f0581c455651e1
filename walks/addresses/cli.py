"""`flask --app app addresses load FILE`: load the municipality's address file."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..web import save
from . import service

addresses_group = AppGroup("addresses", help="Street addresses for points (reverse geocoding).")


@addresses_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(path: Path):
    """Replace the loaded addresses with those of a CSV or GeoJSON file (all or nothing)."""
    try:
        rows = service.parse_address_file(path.read_bytes(), path.name)
    except service.AddressFileError as error:
        click.echo(str(error.message), err=True)
        for row in error.rows:
            click.echo(f"  {row}", err=True)
        raise SystemExit(1) from None
    count = save(lambda: service.load_addresses(rows)).value
    click.echo(f"Loaded {count} addresses.")


@addresses_group.command("lookup")
@click.argument("lat", type=float)
@click.argument("lon", type=float)
def lookup_command(lat: float, lon: float):
    """The nearest loaded address within 50 m of a point."""
    click.echo(service.nearest_address(lat, lon) or "No address within 50 m.")
    db.session.rollback()
