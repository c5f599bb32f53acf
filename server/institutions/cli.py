"""`flask institutions import`, `flask counter-codes create`, and the demo directory for `flask seed-demo`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_institutions.json"


def seed_demo() -> str:
    """Load the demo directory (every province; names marked 演示数据). Idempotent: upsert by code."""
    from server.institutions.importer import import_file

    result = import_file(DEMO_FILE.read_bytes(), "json")
    return f"demo institutions: {result['inserted']} added, {result['updated']} refreshed"


def register_cli(app: Flask) -> None:
    @app.cli.group("institutions")
    def institutions():
        """定点医药机构目录"""

    @institutions.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default=None,
                  help="defaults to the file's extension")
    def import_cmd(file: Path, fmt: str | None):
        """Load or update (by code) the directory from a CSV or JSON file; nothing is loaded if any row is bad."""
        from server.extensions import db
        from server.institutions.directory import read_rows, validate_rows
        from server.institutions.importer import ImportFailed, resolve_region, upsert_rows

        fmt = fmt or ("json" if file.suffix.lower() == ".json" else "csv")
        data = file.read_bytes()
        try:
            rows = list(read_rows(data, fmt))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"文件无法读取：{exc}") from None
        click.echo(f"checking {len(rows)} rows ...")
        clean, errors = validate_rows(rows, resolve_region)
        if errors:
            for err in errors[:200]:
                click.echo(str(err), err=True)
            if len(errors) > 200:
                click.echo(f"... 共 {len(errors)} 处问题", err=True)
            raise click.ClickException(f"{len(errors)} 处问题，未导入任何数据")
        try:
            with click.progressbar(length=len(clean), label="importing") as bar:
                result = upsert_rows(clean, progress=bar.update)
            db.session.commit()
        except ImportFailed as exc:  # pragma: no cover - validation already ran
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except Exception:
            db.session.rollback()
            raise
        click.echo(f"imported: {result['inserted']} added, {result['updated']} updated")

    @app.cli.group("counter-codes")
    def counter_codes():
        """窗口二维码"""

    @counter_codes.command("create")
    @click.option("--institution", "institution_code", required=True, help="national institution code")
    @click.option("--counter", "counter_name", default=None, help="counter or ward, e.g. 住院处")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="folder for the PNG, SVG and poster files (default: instance/counter-codes)")
    def create_cmd(institution_code: str, counter_name: str | None, out_dir: Path | None):
        """Create a counter QR code: prints its URL and writes <id>.png, <id>.svg, <id>-poster.png."""
        from server.errors import ApiError
        from server.extensions import db
        from server.institutions import service

        try:
            inst = service.get_institution(institution_code)
        except ApiError as exc:
            raise click.ClickException(exc.message) from None
        code = service.create_counter_code(inst, counter_name)
        db.session.commit()
        images = service.code_images(code)
        if out_dir is None:  # never the working directory: a checkout's root is no place for output
            from server.config import INSTANCE
            out_dir = INSTANCE / "counter-codes"
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"counter-{code.id}"
        (out_dir / f"{stem}.png").write_bytes(images["png"]())
        (out_dir / f"{stem}.svg").write_bytes(images["svg"]())
        (out_dir / f"{stem}-poster.png").write_bytes(images["poster"]())
        click.echo(images["url"])
        click.echo(f"files: {out_dir / stem}.png, .svg, -poster.png")
