"""Staff login back-off per (username, source) replaces the per-account lock-out columns

Revision ID: ffddf05fb38c
Revises: 244c3713a1f1
Create Date: 2026-12-01 12:58:41.033631

"""
from alembic import op
import sqlalchemy as sa


revision = 'ffddf05fb38c'
down_revision = '244c3713a1f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_login_failures')),
    sa.UniqueConstraint('username', 'source', name=op.f('uq_staff_login_failures_username'))
    )
    with op.batch_alter_table('staff_login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_failures_last_failure_at'), ['last_failure_at'], unique=False)

    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('staff_login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_failures_last_failure_at'))

    op.drop_table('staff_login_failures')
