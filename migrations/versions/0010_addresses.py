"""addresses: the municipality's address file for reverse geocoding

Revision ID: 0010
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index("ix_addresses_lat_lon", "addresses", ["lat", "lon"])


def downgrade():
    op.drop_index("ix_addresses_lat_lon", table_name="addresses")
    op.drop_table("addresses")
