"""Open311 publishing per area; API keys belong to a body (Organization)

Revision ID: 0009
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("open311_public", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_api_keys_organization_id_organizations"), "organizations",
                                 ["organization_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint(batch.f("fk_api_keys_organization_id_organizations"), type_="foreignkey")
        batch.drop_column("organization_id")
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("open311_public")
