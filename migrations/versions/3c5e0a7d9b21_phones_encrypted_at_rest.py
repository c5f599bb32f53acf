"""Phone numbers encrypted at rest: users.phone, family_members.phone, filings.contact_phone

The columns become Text holding crypto.encrypt tokens (server.common.models.EncryptedText); the
numbers already stored are encrypted here with the configured DATA_KEY, and decrypted again on
downgrade.

Revision ID: 3c5e0a7d9b21
Revises: ffddf05fb38c
Create Date: 2026-12-01 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '3c5e0a7d9b21'
down_revision = 'ffddf05fb38c'
branch_labels = None
depends_on = None

COLUMNS = (("users", "phone", "id"), ("family_members", "phone", "id"), ("filings", "contact_phone", "id"))


def _convert(change) -> None:
    conn = op.get_bind()
    for table, column, pk in COLUMNS:
        t = sa.table(table, sa.column(pk), sa.column(column, sa.Text()))
        rows = conn.execute(sa.select(t.c[pk], t.c[column]).where(t.c[column].is_not(None))).all()
        for row_id, value in rows:
            conn.execute(sa.update(t).where(t.c[pk] == row_id).values({column: change(value)}))


def _keys():
    from flask import current_app

    from server.common import datakeys

    return current_app.config["DATA_KEY"], datakeys.secrets()


def upgrade():
    from server.common import crypto

    key, _ = _keys()
    for table, column, _pk in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=20), type_=sa.Text(),
                                  existing_nullable=True)
    _convert(lambda value: crypto.encrypt(value, key))


def downgrade():
    from server.common import crypto

    _, secrets = _keys()
    _convert(lambda value: crypto.decrypt(value, secrets))
    for table, column, _pk in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=20),
                                  existing_nullable=True)
