#!/usr/bin/env bash
# Runs `alembic upgrade head` and `alembic check` on a fresh SQLite file and PostgreSQL database.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== SQLite"
SILIAN_HOME="$tmp" SILIAN_DATABASE_URL="sqlite:///$tmp/check.db" $BIN/alembic upgrade head
SILIAN_HOME="$tmp" SILIAN_DATABASE_URL="sqlite:///$tmp/check.db" $BIN/alembic check
PG_ADMIN=${SILIAN_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}
PG_BASE=${PG_ADMIN%/*}
echo "== PostgreSQL"
psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS silian_migration_check_$$" -c "CREATE DATABASE silian_migration_check_$$"
SILIAN_HOME="$tmp" SILIAN_DATABASE_URL="$PG_BASE/silian_migration_check_$$" $BIN/alembic upgrade head
SILIAN_HOME="$tmp" SILIAN_DATABASE_URL="$PG_BASE/silian_migration_check_$$" $BIN/alembic check
psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS silian_migration_check_$$"
