"""The migration runner on a real database."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from deploy.infra import PostgresServer
from services.common import migrate

pytestmark = pytest.mark.integration


def fresh_database(pg: PostgresServer) -> str:
    name = f"m_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return pg.url(pg.superuser, pg.password, name)


def test_migrations_apply_once_in_order_and_refuse_an_edited_file(pg_server: PostgresServer, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url = fresh_database(pg_server)
    service_dir = tmp_path / "demo" / "migrations"
    service_dir.mkdir(parents=True)
    (service_dir / "0001_init.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);")
    (service_dir / "0002_more.sql").write_text("ALTER TABLE things ADD COLUMN name text;")
    monkeypatch.setattr(migrate, "SERVICES_DIR", tmp_path)

    first = migrate.apply_migrations(url, "demo")
    kit = [f"common/{path.name}" for _, path in migrate.migration_files(migrate.HERE / "migrations")]
    assert kit[0] == "common/0001_kit.sql"
    assert first == [*kit, "demo/0001_init.sql", "demo/0002_more.sql"]
    assert migrate.apply_migrations(url, "demo") == []  # applied once
    with psycopg.connect(url) as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'things' ORDER BY ordinal_position")]
    assert columns == ["id", "name"]

    (service_dir / "0001_init.sql").write_text("CREATE TABLE things (id bigint PRIMARY KEY);")
    with pytest.raises(migrate.MigrationChanged, match="demo/0001_init.sql was changed"):
        migrate.apply_migrations(url, "demo")


def test_a_failing_migration_leaves_nothing_half_applied(pg_server: PostgresServer, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    url = fresh_database(pg_server)
    service_dir = tmp_path / "broken" / "migrations"
    service_dir.mkdir(parents=True)
    (service_dir / "0001_init.sql").write_text("CREATE TABLE a (id int); CREATE TABLE a (id int);")
    monkeypatch.setattr(migrate, "SERVICES_DIR", tmp_path)
    with pytest.raises(psycopg.errors.DuplicateTable):
        migrate.apply_migrations(url, "broken")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('a')").fetchone() == (None,)
        versions = [r[0] for r in conn.execute("SELECT component || '/' || version FROM schema_migrations")]
    assert versions == [f"common/{v}" for v, _ in migrate.migration_files(migrate.HERE / "migrations")]
