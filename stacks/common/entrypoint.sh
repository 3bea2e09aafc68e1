#!/bin/sh
# Container entrypoint shared by every stack: give this container a fresh copy of the
# seed database, then hand over to the stack's server, SERVER_COMMAND (its stack.toml's
# [server] command, set by the image), with $WORKERS and $THREADS expanded (see
# stacks/README.md).
set -eu
: "${DATABASE_PATH:=/data/items.db}"
: "${WORKERS:=2}"
: "${THREADS:=2}"
: "${SERVER_COMMAND:?SERVER_COMMAND must be set by the image (stack.toml [server] command)}"
export DATABASE_PATH WORKERS THREADS
rm -f "$DATABASE_PATH" "$DATABASE_PATH-journal" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"
cp /app/seed.db "$DATABASE_PATH"
eval "exec $SERVER_COMMAND"
