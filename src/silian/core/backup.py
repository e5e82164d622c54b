"""Backups: a consistent logical snapshot of every table plus the secret key, and its restore.

The file is a zip archive that is the same for SQLite and PostgreSQL (so a backup restores
on either): ``manifest.json`` (format, Alembic revision, tables in dependency order with their
columns, value kinds and row counts), ``secret_key`` and one ``tables/NNN_<table>.jsonl`` per
table, one JSON array per row. The snapshot is consistent: SQLite is first copied with the
online backup API, PostgreSQL is read in one REPEATABLE READ, read-only transaction.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeEngine

from silian.config import Settings

FORMAT = "silian-backup"
VERSION = 1
BATCH = 1000
ALEMBIC_TABLE = "alembic_version"

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why, in Chinese."""


@dataclass
class BackupReport:
    """What a backup or restore wrote: rows per table, in dependency order."""

    path: Path
    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    # Restore only: what stayed under the index directory (the reranker's models).
    kept: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Rows over every table."""
        return sum(self.rows.values())


# --- values ------------------------------------------------------------------------------


def _kind(type_: TypeEngine[Any]) -> str:
    # What a column's values need to survive JSON (and a change of backend).
    if isinstance(type_, DateTime):
        return "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, LargeBinary):
        return "bytes"
    if isinstance(type_, Numeric) and not isinstance(type_, Float):
        return "decimal"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "datetime":
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()  # naive UTC: what SQLite stores, what PostgreSQL is given
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    raise BackupError(f"未知的字段类型：{kind}")


def _decode(kind: str, value: Any, sqlite: bool) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "datetime":
        moment = datetime.fromisoformat(value)
        return moment if sqlite else moment.replace(tzinfo=UTC)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value)
    raise BackupError(f"备份文件中有未知的字段类型：{kind}")


def _load_type(kind: str) -> TypeEngine[Any] | None:
    # Types for inserting decoded values; None lets the driver take the value as it is.
    types: dict[str, TypeEngine[Any]] = {
        "datetime": DateTime(timezone=True),
        "date": Date(),
        "json": JSON(none_as_null=True),
        "decimal": Numeric(),
        "bytes": LargeBinary(),
    }
    return types.get(kind)


# --- backup ------------------------------------------------------------------------------


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份")
    return database


def _snapshot_engine(url: str, workdir: Path) -> Engine:
    """An engine reading a consistent snapshot of the database at url."""
    if _is_sqlite(url):
        source_path = _sqlite_path(url)
        if not Path(source_path).exists():
            raise BackupError(f"数据库文件不存在：{source_path}")
        copy = workdir / "snapshot.db"
        # The online backup API copies a consistent image even while the server writes.
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return create_engine(f"sqlite:///{copy}")
    return create_engine(url, isolation_level="REPEATABLE READ")


def _reflect(conn: Connection) -> MetaData:
    meta = MetaData()
    meta.reflect(conn)
    return meta


def _revision(conn: Connection, meta: MetaData) -> str | None:
    if ALEMBIC_TABLE not in meta.tables:
        return None
    return conn.scalar(text(f"SELECT version_num FROM {ALEMBIC_TABLE}"))


def _rows(conn: Connection, table: Table) -> Iterator[Any]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        select(table).order_by(*order)
    )
    yield from result


def backup(settings: Settings, path: Path, progress: Progress | None = None) -> BackupReport:
    """Write a consistent snapshot of the database and the secret key to path (a zip file)."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise BackupError(f"备份文件路径是一个目录：{path}")
    with tempfile.TemporaryDirectory(prefix="silian-backup-") as tmp:
        engine = _snapshot_engine(settings.database_url, Path(tmp))
        try:
            with engine.connect() as conn:
                if not _is_sqlite(settings.database_url):
                    conn.execute(text("SET TRANSACTION READ ONLY"))
                meta = _reflect(conn)
                revision = _revision(conn, meta)
                if revision is None:
                    raise BackupError("数据库尚未迁移（没有 alembic_version），没有可备份的数据")
                report = BackupReport(path=path, revision=revision)
                partial = path.with_name(path.name + ".partial")
                tables_info: list[dict[str, Any]] = []
                with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for number, table in enumerate(meta.sorted_tables):
                        if table.name == ALEMBIC_TABLE:
                            continue
                        if progress:
                            progress(f"备份 {table.name}")
                        columns = [c.name for c in table.columns]
                        kinds = [_kind(c.type) for c in table.columns]
                        member = f"tables/{number:03d}_{table.name}.jsonl"
                        count = 0
                        with archive.open(member, "w") as raw:
                            for row in _rows(conn, table):
                                line = [_encode(k, v) for k, v in zip(kinds, row, strict=True)]
                                raw.write(json.dumps(line, ensure_ascii=False).encode("utf-8"))
                                raw.write(b"\n")
                                count += 1
                        report.rows[table.name] = count
                        tables_info.append(
                            {
                                "name": table.name,
                                "file": member,
                                "columns": columns,
                                "kinds": kinds,
                                "rows": count,
                            }
                        )
                    manifest = {
                        "format": FORMAT,
                        "version": VERSION,
                        "created_at": datetime.now(UTC).isoformat(),
                        "revision": revision,
                        "backend": make_url(settings.database_url).get_backend_name(),
                        "tables": tables_info,
                    }
                    archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))
                    archive.writestr("secret_key", settings.secret_key)
        finally:
            engine.dispose()
    partial.chmod(0o600)  # it holds password hashes and the key that signs sessions
    partial.replace(path)
    return report


# --- restore -----------------------------------------------------------------------------


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError(f"不是 Silian 备份文件（缺少有效的 manifest.json）：{path}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不是 Silian 备份文件：{path}")
    if manifest.get("version") != VERSION:
        raise BackupError(f"备份文件格式版本 {manifest.get('version')} 不受支持（应为 {VERSION}）")
    return manifest


def non_empty_tables(conn: Connection) -> dict[str, int]:
    """Tables of the database that hold rows (Alembic's own table aside), with their counts."""
    meta = _reflect(conn)
    counts: dict[str, int] = {}
    for table in meta.sorted_tables:
        if table.name == ALEMBIC_TABLE:
            continue
        count = conn.scalar(select(func.count()).select_from(table)) or 0
        if count:
            counts[table.name] = count
    return counts


def _drop_everything(engine: Engine) -> None:
    with engine.begin() as conn:
        meta = _reflect(conn)
        meta.drop_all(conn)


def _reset_sequences(conn: Connection, tables: list[dict[str, Any]]) -> None:
    # PostgreSQL's serial counters must continue after the restored ids.
    for info in tables:
        if "id" not in info["columns"]:
            continue
        name = info["name"]
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, 'id'), COALESCE(MAX(id), 1), "
                f'MAX(id) IS NOT NULL) FROM "{name}"'
            ),
            {"t": f'"{name}"'},
        )


def _lines(archive: zipfile.ZipFile, member: str) -> Iterator[list[Any]]:
    with archive.open(member) as raw:
        stream: IO[bytes] = raw
        for line in stream:
            if line.strip():
                yield json.loads(line)


def restore(
    settings: Settings,
    path: Path,
    force: bool = False,
    progress: Progress | None = None,
    migrate: Callable[[str, str], None] | None = None,
) -> BackupReport:
    """Restore a backup into the configured database, write its secret key, mark the index stale.

    Refuses a database that holds any row unless force is set; then every table is dropped
    first. The schema is created at the backup's Alembic revision, the rows loaded in
    dependency order in one transaction, then the schema migrated to the current head.
    """
    from silian.core.migrate import upgrade

    migrate = migrate or (lambda url, revision: upgrade(url, revision))
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BackupError(f"不是 Silian 备份文件（无法作为 zip 读取）：{path}") from None
    url = settings.database_url
    sqlite = _is_sqlite(url)
    with archive:
        manifest = _read_manifest(archive, path)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                existing = non_empty_tables(conn)
            if existing and not force:
                shown = "、".join(f"{name}（{n} 行）" for name, n in list(existing.items())[:5])
                raise BackupError(
                    f"目标数据库不为空：{shown}{' 等' if len(existing) > 5 else ''}。"
                    "恢复会删除其中全部数据；确认覆盖请加 --force"
                )
            _drop_everything(engine)
            engine.dispose()  # SQLite: let Alembic see the dropped schema
            try:
                migrate(url, manifest["revision"])
            except Exception as exc:
                raise BackupError(
                    f"无法建立备份时的数据库结构（版本 {manifest['revision']}）：{exc}"
                ) from exc
            report = BackupReport(path=path, revision=manifest["revision"])
            with engine.begin() as conn:
                for info in manifest["tables"]:
                    if progress:
                        progress(f"恢复 {info['name']}")
                    report.rows[info["name"]] = _load_table(conn, archive, info, sqlite)
                if not sqlite:
                    _reset_sequences(conn, manifest["tables"])
        finally:
            engine.dispose()
        migrate(url, "head")
        key = archive.read("secret_key").decode("utf-8").strip()
    _write_secret_key(settings.home, key)
    report.kept = mark_index_stale(settings)
    return report


def _load_table(
    conn: Connection, archive: zipfile.ZipFile, info: dict[str, Any], sqlite: bool
) -> int:
    columns: list[str] = info["columns"]
    kinds: list[str] = info["kinds"]
    table = Table(
        info["name"],
        MetaData(),
        *[Column(name, _load_type(kind)) for name, kind in zip(columns, kinds, strict=True)],
    )
    count = 0
    batch: list[dict[str, Any]] = []
    for line in _lines(archive, info["file"]):
        batch.append(
            {
                name: _decode(kind, value, sqlite)
                for name, kind, value in zip(columns, kinds, line, strict=True)
            }
        )
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    if count != info["rows"]:
        raise BackupError(
            f"备份文件损坏：表 {info['name']} 应有 {info['rows']} 行，读到 {count} 行"
        )
    return count


def _write_secret_key(home: Path, key: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    target = home / "secret_key"
    tmp = home / "secret_key.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    tmp.replace(target)


# What lives under the index directory but is not derived from the database: the learned
# reranker's model files (``silian.matching.learning.MODEL_DIR``; a test checks the name).
# They hold weights over the engine's public features, no record, so they stay valid after a
# restore; the matching service re-checks the restored feedback count before applying one.
KEPT_UNDER_INDEX = frozenset({"rerank"})


def mark_index_stale(settings: Settings) -> list[str]:
    """Remove the saved matching index so the next start (or `silian index rebuild`) rebuilds;
    what :data:`KEPT_UNDER_INDEX` names stays. Returns the names kept."""
    root = settings.index_dir
    if not root.exists():
        return []
    kept = sorted(p.name for p in root.iterdir() if p.name in KEPT_UNDER_INDEX)
    for entry in root.iterdir():
        if entry.name in KEPT_UNDER_INDEX:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if not kept:
        root.rmdir()
    return kept
