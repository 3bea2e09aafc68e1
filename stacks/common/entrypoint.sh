#!/bin/sh
# Container entrypoint shared by the five stacks: give this container a fresh copy
# of the seed database, then hand over to Gunicorn (see stacks/README.md).
set -eu
: "${DATABASE_PATH:=/data/items.db}"
: "${WORKERS:=2}"
: "${THREADS:=2}"
: "${WORKER_CLASS:?WORKER_CLASS must be set by the image}"
: "${APP_MODULE:?APP_MODULE must be set by the image}"
rm -f "$DATABASE_PATH" "$DATABASE_PATH-journal" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"
cp /app/seed.db "$DATABASE_PATH"
exec gunicorn \
  --bind 0.0.0.0:8000 \
  --workers "$WORKERS" \
  --threads "$THREADS" \
  --worker-class "$WORKER_CLASS" \
  "$APP_MODULE"
