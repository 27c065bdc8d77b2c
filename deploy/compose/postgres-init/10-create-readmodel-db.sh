#!/bin/bash
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). The image itself creates POSTGRES_DB (the Odoo database in
# dev); this adds the read-model database. Idempotent, so a re-run does no harm.
# Not `set -u`: when this file is not executable the entrypoint sources it into its own shell.
set -e

readmodel_db="${ATRAXION_READMODEL_DB:-atraxion}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v db="$readmodel_db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
