"""audit events know their area (for the audit page's filter)

Revision ID: 0007
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_area_id'), ['area_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_area_id_areas'), 'areas', ['area_id'], ['id'])


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_area_id_areas'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_events_area_id'))
        batch_op.drop_column('area_id')
