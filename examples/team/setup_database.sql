-- Run once as a PostgreSQL superuser: the team's role and database.
-- nbtrack creates and upgrades its own tables (prefixed nbtrack_) on first use.
CREATE ROLE nbtrack LOGIN PASSWORD 'change-me';
CREATE DATABASE nbtrack OWNER nbtrack;
