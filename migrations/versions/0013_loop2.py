"""loop2: retrying failed sends, "me too" radius per category, Reply-To and signature per area

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("fault_reports") as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("gave_up_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("categories") as batch_op:
        batch_op.add_column(sa.Column("metoo_radius_m", sa.Integer(), nullable=False, server_default="30"))
    with op.batch_alter_table("areas") as batch_op:
        batch_op.add_column(sa.Column("reply_to", sa.String(length=254), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reply_name", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reply_phone", sa.String(length=40), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("areas") as batch_op:
        batch_op.drop_column("reply_phone")
        batch_op.drop_column("reply_name")
        batch_op.drop_column("reply_to")
    with op.batch_alter_table("categories") as batch_op:
        batch_op.drop_column("metoo_radius_m")
    with op.batch_alter_table("fault_reports") as batch_op:
        batch_op.drop_column("gave_up_at")
        batch_op.drop_column("next_attempt_at")
