"""users: session version and one-time password links

Revision ID: 0003
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("password_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("password_token_expires_at", sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_password_token_hash"), ["password_token_hash"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_password_token_hash"), type_="unique")
        batch_op.drop_column("password_token_expires_at")
        batch_op.drop_column("password_token_hash")
        batch_op.drop_column("session_version")
