"""field capture: landmarks per walk, the outside-area flag on observations

Revision ID: 0004
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("walks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("landmarks", sa.JSON(), nullable=True))
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outside_area", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_column("outside_area")
    with op.batch_alter_table("walks", schema=None) as batch_op:
        batch_op.drop_column("landmarks")
