#!/bin/sh
# Run once by the postgis image when the database is first created, after PostGIS is set up.
# The schema's owner runs migrations; the application's role owns nothing (docs/adr/0011).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_pw="$OWNER_DB_PASSWORD" -v app_pw="$APP_DB_PASSWORD" <<'EOSQL'
CREATE ROLE hotspots_owner LOGIN NOSUPERUSER NOCREATEROLE PASSWORD :'owner_pw';
CREATE ROLE hotspots_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_pw';
ALTER DATABASE hotspots OWNER TO hotspots_owner;
ALTER SCHEMA public OWNER TO hotspots_owner;
EOSQL
