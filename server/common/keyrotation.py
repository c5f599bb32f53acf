"""flask keys rotate | status: re-encrypt everything encrypted at rest under the current DATA_KEY.

While it runs, the app servers decrypt with DATA_KEY or any of DATA_KEYS_OLD and encrypt with
DATA_KEY. Rows are taken in primary-key order, a batch per transaction: a value already under
DATA_KEY is left alone, so an interrupted run is simply run again. When `status` shows nothing
left under an old key, remove DATA_KEYS_OLD from the configuration. Look-up hashes need no
re-hashing: their key is stored wrapped in data_keys and re-wrapped here like any other value.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import click
from sqlalchemy import Text, select, type_coerce, update

from server.common import crypto, datakeys
from server.extensions import db


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns() -> list[EncryptedColumn]:
    """Every column holding a crypto.encrypt token: the known ones, plus any column whose type
    says so (`encrypted_at_rest = True` on a TypeDecorator), so a new one is not forgotten."""
    known = {("data_keys", "value_enc"), ("users", "session_key_enc"), ("users", "id_number_enc"),
             ("family_members", "id_number_enc"), ("filings", "person_id_enc")}
    for table in db.metadata.sorted_tables:
        for col in table.columns:
            if getattr(col.type, "encrypted_at_rest", False):
                known.add((table.name, col.name))
    return [EncryptedColumn(t, c) for t, c in sorted(known) if t in db.metadata.tables]


def _batches(col: EncryptedColumn, batch_size: int) -> Iterator[list[tuple]]:
    table = db.metadata.tables[col.table]
    pk = list(table.primary_key.columns)[0]
    raw = type_coerce(table.c[col.column], Text)  # the stored token, whatever the column's type
    last = None
    while True:
        query = select(pk, raw).where(table.c[col.column].is_not(None)).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rotate_column(col: EncryptedColumn, keys: list[str], batch_size: int) -> tuple[int, int]:
    """Re-encrypt one column; returns (rows seen, rows re-encrypted). Commits per batch."""
    table = db.metadata.tables[col.table]
    pk = list(table.primary_key.columns)[0]
    seen = changed = 0
    for rows in _batches(col, batch_size):
        for ident, token in rows:
            seen += 1
            if crypto.is_current(token, keys[0]):
                continue
            new = crypto.rotate(token, keys)  # DecryptionError: a key is missing; stop, change nothing more
            db.session.execute(update(table).where(pk == ident, type_coerce(table.c[col.column], Text) == token)
                               .values({col.column: type_coerce(new, Text)}))
            changed += 1
        db.session.commit()
    return seen, changed


def pending(keys: list[str]) -> dict[str, int]:
    """Values per column not yet under the current key."""
    out = {}
    for col in encrypted_columns():
        out[str(col)] = sum(1 for rows in _batches(col, 1000) for _, token in rows
                            if not crypto.is_current(token, keys[0]))
    return out


def register_cli(app) -> None:
    @app.cli.group("keys")
    def keys_group():
        """Keys for personal data at rest (DATA_KEY, DATA_KEYS_OLD)."""

    @keys_group.command("rotate")
    @click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
    def rotate_cmd(batch_size: int):
        """Re-encrypt every stored value under DATA_KEY (resumable: run again after an interruption)."""
        keys = datakeys.secrets()
        try:
            datakeys.lookup_hash("0")  # makes sure the look-up key is stored before the old keys go
            db.session.commit()
            for col in encrypted_columns():
                seen, changed = rotate_column(col, keys, batch_size)
                click.echo(f"{col}: {changed} of {seen} re-encrypted")
        except crypto.DecryptionError:
            db.session.rollback()
            raise click.ClickException(
                "a stored value opens with none of DATA_KEY and DATA_KEYS_OLD; add the key it was "
                "made with to DATA_KEYS_OLD and run again") from None
        left = sum(pending(keys).values())
        click.echo("done: nothing left under an old key; DATA_KEYS_OLD can be removed" if not left
                   else f"{left} value(s) still under an old key (written during the run?): run again")

    @keys_group.command("status")
    def status_cmd():
        """How many stored values are still under an old key."""
        counts = pending(datakeys.secrets())
        for name, n in counts.items():
            click.echo(f"{name}: {n} under an old key")
        click.echo("all values are under DATA_KEY" if not any(counts.values()) else "run `flask keys rotate`")
