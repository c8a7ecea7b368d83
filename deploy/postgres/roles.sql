-- One login role and one schema per service, least privilege: the same rules as
-- libs/src/crowdify/db/provision.py (ADR 0003), for PostgreSQL containers that start empty.
-- Run by init/10-crowdify-roles.sh with psql variables <role>_password; safe to run again.
-- A test (tools/tests/deploy) checks the roles and schemas against SERVICE_SCHEMAS and runs this
-- file against a real server.
\set ON_ERROR_STOP on

-- Nobody but the owner may create in public; services keep to their own schema.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec

-- The database's own settings (DATABASE_SETTINGS in provision.py, ADR 0023): full-page images in
-- the WAL compressed. Only a superuser may set it; elsewhere it is a server parameter (runbook).
SELECT format('ALTER DATABASE %I SET wal_compression = %L', current_database(), 'lz4')
WHERE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \gexec

-- CREATE ROLE has no IF NOT EXISTS: generate it only for roles that are missing.
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', role)
FROM (VALUES ('event_svc'), ('purchase_svc'), ('validation_svc'), ('notification_svc'), ('pdf_svc'), ('admin_svc')) AS r(role)
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.role) \gexec

ALTER ROLE event_svc PASSWORD :'event_svc_password';
ALTER ROLE purchase_svc PASSWORD :'purchase_svc_password';
ALTER ROLE validation_svc PASSWORD :'validation_svc_password';
ALTER ROLE notification_svc PASSWORD :'notification_svc_password';
ALTER ROLE pdf_svc PASSWORD :'pdf_svc_password';
ALTER ROLE admin_svc PASSWORD :'admin_svc_password';

SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), role),
       format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', schema, role),
       format('ALTER SCHEMA %I OWNER TO %I', schema, role),
       format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', schema)
FROM (VALUES ('event_svc', 'event'), ('purchase_svc', 'purchase'), ('validation_svc', 'validation'),
             ('notification_svc', 'notification'), ('pdf_svc', 'pdf'),
             ('admin_svc', 'admin')) AS s(role, schema) \gexec
