-- The registry: one row per platform, its append-only history, and the registry's version.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE platforms (
    id text PRIMARY KEY,
    record jsonb NOT NULL,  -- the PlatformRecord, lon/lat included
    geom geometry(Point, 4326) NOT NULL,  -- built from record's lon/lat on every write
    etag text NOT NULL,  -- geo.store.etag(record): the same in every store
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platforms_record_id CHECK (record ->> 'id' = id)
);
CREATE INDEX platforms_geom_gist ON platforms USING gist (geom);

CREATE TABLE platform_history (
    seq bigserial PRIMARY KEY,
    id text NOT NULL,
    op text NOT NULL CHECK (op IN ('create', 'replace', 'update', 'delete', 'restore', 'ingest')),
    actor text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    before jsonb,
    after jsonb
);
CREATE INDEX platform_history_id_seq ON platform_history (id, seq);

CREATE FUNCTION biomap_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'platform_history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'restore a record by writing its old value again (op restore)';
END
$$;
CREATE TRIGGER platform_history_no_change
    BEFORE UPDATE OR DELETE ON platform_history
    FOR EACH ROW EXECUTE FUNCTION biomap_history_append_only();
CREATE TRIGGER platform_history_no_truncate
    BEFORE TRUNCATE ON platform_history
    FOR EACH STATEMENT EXECUTE FUNCTION biomap_history_append_only();

-- One row: bumped by every write, announced with NOTIFY biomap_registry.
CREATE TABLE biomap_registry_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL DEFAULT 0
);
INSERT INTO biomap_registry_version DEFAULT VALUES;
