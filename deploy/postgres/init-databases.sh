#!/bin/sh
# Run once by the postgres image on an empty data volume
# (/docker-entrypoint-initdb.d): one login role and one database per service,
# each role allowed to connect to its own database only.
# Passwords come from <SERVICE>_DB_PASSWORD, defaulting to the service name.
set -eu
for svc in enrolment sessions notifications reporting; do
  var="$(echo "$svc" | tr 'a-z' 'A-Z')_DB_PASSWORD"
  eval "pw=\${$var:-$svc}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="$svc" -v pw="$pw" -v db="progadmin_$svc" <<'SQL'
CREATE ROLE :"role" WITH LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"role";
REVOKE CONNECT ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"role";
SQL
done
