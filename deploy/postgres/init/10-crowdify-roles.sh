#!/usr/bin/env bash
# Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d): creates
# each service's role and schema in POSTGRES_DB (deploy/postgres/roles.sql). Each role's password
# comes from <ROLE>_DB_PASSWORD (EVENT_SVC_DB_PASSWORD, ...), set from .env by docker-compose.yml.
set -euo pipefail

roles_sql="${CROWDIFY_ROLES_SQL:-/crowdify/roles.sql}"
args=()
for role in event_svc purchase_svc validation_svc notification_svc pdf_svc admin_svc; do
  variable="${role^^}_DB_PASSWORD"
  if [ -z "${!variable:-}" ]; then
    echo "${variable} is not set: every service role needs a password" >&2
    exit 1
  fi
  args+=(-v "${role}_password=${!variable}")
done

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  "${args[@]}" -f "${roles_sql}"
