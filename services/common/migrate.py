"""Migrations: numbered plain-SQL files applied in order, once, and recorded.

A runner of our own rather than a library: it is a page long, speaks psycopg 3
directly, applies each file in its own transaction, and serialises
concurrent starts (several pods running it at once) with an advisory lock.
The kit's tables (`services/common/migrations`) are applied first, then the
service's own (`services/<service>/migrations`), each recorded under its
component name.

    python -m services.common.migrate <service>
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import psycopg

from services.common.config import Settings

HERE = Path(__file__).resolve().parent
SERVICES_DIR = HERE.parent
_LOCK_ID = 0x70726F67  # "prog": one migration run per database at a time
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationChanged(RuntimeError):
    """An applied migration file no longer matches what was applied."""


def migration_files(folder: Path) -> list[tuple[str, Path]]:
    files = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path}")
        files.append((match.group(1), path))
    versions = [v for v, _ in files]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {folder}")
    return files


def apply_migrations(database_url: str, service: str) -> list[str]:
    """Apply what is not yet applied; return the names applied now."""
    applied_now: list[str] = []
    components = [("common", HERE / "migrations"), (service, SERVICES_DIR / service / "migrations")]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " component text NOT NULL, version text NOT NULL, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))"
            )
            conn.execute("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text")
            for component, folder in components:
                done = {r[0]: r[1] for r in conn.execute(
                    "SELECT version, checksum FROM schema_migrations WHERE component = %s", (component,))}
                for version, path in migration_files(folder):
                    sql = path.read_text()
                    checksum = hashlib.sha256(sql.encode()).hexdigest()
                    if version in done:
                        if done[version] not in (None, checksum):
                            raise MigrationChanged(
                                f"{component}/{path.name} was changed after it was applied to this database; "
                                "add a new numbered migration instead (a local stack can be reset with "
                                "deploy/down && rm -rf .local/pg)")
                        continue
                    with conn.transaction():
                        conn.execute(sql.encode())  # a file of ours, not user input
                        conn.execute(
                            "INSERT INTO schema_migrations (component, version, name, checksum)"
                            " VALUES (%s, %s, %s, %s)", (component, version, path.name, checksum),
                        )
                    applied_now.append(f"{component}/{path.name}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m services.common.migrate <service>", file=sys.stderr)
        return 2
    settings = Settings.from_env(args[0])
    applied = apply_migrations(settings.database_url, args[0])
    print(f"{args[0]}: applied {len(applied)} migration(s)" + "".join(f"\n  {a}" for a in applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
