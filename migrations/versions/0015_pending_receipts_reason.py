"""kept receipts: their number, why they are kept, the part they nearly matched

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pending_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_addr', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=20), server_default='no_part_yet', nullable=False))
        batch_op.add_column(sa.Column('near_part_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_pending_receipts_near_part_id_message_parts'), 'message_parts',
                                    ['near_part_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_pending_receipts_received'), ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_receipts_received'))
        batch_op.drop_constraint(batch_op.f('fk_pending_receipts_near_part_id_message_parts'), type_='foreignkey')
        batch_op.drop_column('near_part_id')
        batch_op.drop_column('reason')
        batch_op.drop_column('source_addr')
