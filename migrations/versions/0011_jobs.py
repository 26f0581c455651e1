"""jobs: job states, promised times, recipients' status on items, action reminders

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Promised times of the default categories (hours): graffiti 48 (offensive: 24, a setting), a street
# light 30 days; the rest a fortnight. Coordinators change them on the category form.
PROMISED = {"graffiti": 48, "lighting": 720, "litter": 72, "abandoned_vehicles": 336, "vegetation": 720,
            "path_condition": 720, "transit_stop": 336, "wayfinding": 720, "accessibility": 720,
            "traffic_safety": 336, "overview": 720, "hiding_places": 720}


def upgrade():
    op.create_table(
        "job_states",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("running_since", sa.DateTime(), nullable=True),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_states")),
    )
    with op.batch_alter_table("categories") as batch_op:
        batch_op.add_column(sa.Column("promised_hours", sa.Integer(), nullable=True))
    with op.batch_alter_table("fault_report_items") as batch_op:
        batch_op.add_column(sa.Column("recipient_status", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("recipient_notes", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("recipient_checked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("overdue_reminded_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("action_items") as batch_op:
        batch_op.add_column(sa.Column("due_reminded_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("overdue_reminded_on", sa.Date(), nullable=True))
    categories = sa.table("categories", sa.column("code", sa.String), sa.column("promised_hours", sa.Integer))
    for code, hours in PROMISED.items():
        op.execute(categories.update().where(categories.c.code == code).values(promised_hours=hours))


def downgrade():
    with op.batch_alter_table("action_items") as batch_op:
        batch_op.drop_column("overdue_reminded_on")
        batch_op.drop_column("due_reminded_on")
    with op.batch_alter_table("fault_report_items") as batch_op:
        batch_op.drop_column("overdue_reminded_at")
        batch_op.drop_column("recipient_checked_at")
        batch_op.drop_column("recipient_notes")
        batch_op.drop_column("recipient_status")
    with op.batch_alter_table("categories") as batch_op:
        batch_op.drop_column("promised_hours")
    op.drop_table("job_states")
