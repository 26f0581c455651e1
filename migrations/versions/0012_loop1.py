"""loop1: public pages, published photos, walkers' opt-in e-mail, "was it fixed?" questions

Revision ID: 0012
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("areas") as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("walks") as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("observations") as batch_op:
        batch_op.add_column(sa.Column("walker_notified", sa.String(length=30), nullable=False, server_default=""))
    with op.batch_alter_table("photos") as batch_op:
        batch_op.add_column(sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "fixed_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.String(length=20), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["fault_report_items.id"],
                                name=op.f("fk_fixed_questions_item_id_fault_report_items"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_fixed_questions_participant_id_participants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"],
                                name=op.f("fk_fixed_questions_photo_id_photos"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixed_questions")),
        sa.UniqueConstraint("item_id", "participant_id", name=op.f("uq_fixed_questions_item_id")),
    )
    with op.batch_alter_table("fixed_questions") as batch_op:
        batch_op.create_index(batch_op.f("ix_fixed_questions_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("fixed_questions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_fixed_questions_item_id"))
    op.drop_table("fixed_questions")
    with op.batch_alter_table("photos") as batch_op:
        batch_op.drop_column("published")
    with op.batch_alter_table("observations") as batch_op:
        batch_op.drop_column("walker_notified")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("email")
    with op.batch_alter_table("walks") as batch_op:
        batch_op.drop_column("published_at")
    with op.batch_alter_table("areas") as batch_op:
        batch_op.drop_column("published_at")
