-- Capture as the database's other services need it.
--
-- Writers connect as their own roles with their own search_path: they need only their rights on
-- the tables they write. One trigger function turns a row change into an event. It is SECURITY
-- DEFINER (it runs as the owner of the event log, so writers need no right on the log), its
-- search_path is pinned and every name of ours is schema-qualified (a writer's search_path can
-- neither break it nor slip a function of its own in), and EXECUTE is revoked from PUBLIC: nobody
-- but the service can append to the log or forge an event.
--
-- Positions survive restores. An event's id is the greater of the project's last id + 1 and the
-- commit clock in microseconds, so ids still grow strictly within a project, in commit order (the
-- head row lock), and after a restore or failover that lost events the new ids are above every id
-- handed out before (they come from a later clock). Each event records prev_id, the id of the
-- project's event before it: a reader that continues a position P checks that the first event it
-- reads has prev_id = P, so a gap (purged, or a position from a history the database no longer
-- has) is always noticed. Rows written before this migration have prev_id NULL, meaning id - 1
-- (ids were gapless then).
--
-- Payloads are compact JSON ("key":value, no spaces), built once here.
--
-- The capture mode: whether the trigger NOTIFYs (notify mode) or the listener reads the log's
-- inserts from logical replication (no NOTIFY, whose commit lock serialises writers).

ALTER TABLE status_events ADD COLUMN IF NOT EXISTS prev_id bigint;
ALTER TABLE status_event_heads ADD COLUMN IF NOT EXISTS prev_id bigint;

CREATE TABLE IF NOT EXISTS status_stream_capture (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    notify    boolean NOT NULL DEFAULT true
);
INSERT INTO status_stream_capture DEFAULT VALUES ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION status_stream_capture() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    project  uuid;
    payload  text;
    next_id  bigint;
    previous bigint;
    clock    bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
BEGIN
    IF TG_TABLE_NAME = 'projects' THEN
        -- A deleted project takes its history along: a project re-created with the same id
        -- starts empty. The NOTIFY tells listeners to drop the project and end its streams.
        DELETE FROM "${flyway:defaultSchema}".status_events WHERE project_id = OLD.id;
        DELETE FROM "${flyway:defaultSchema}".status_event_heads WHERE project_id = OLD.id;
        IF (SELECT notify FROM "${flyway:defaultSchema}".status_stream_capture) THEN
            PERFORM pg_notify('status_stream', OLD.id::text);
        END IF;
        RETURN NULL;
    ELSIF TG_TABLE_NAME = 'ingestion_sources' THEN
        project := NEW.project_id;
        payload := '{"type":"status_update","sourceId":' || to_json(NEW.id)::text
            || ',"status":' || coalesce(to_json(NEW.status)::text, 'null')
            || ',"sourceName":' || coalesce(to_json(NEW.source_name)::text, 'null')
            || ',"updatedAt":' || coalesce(to_json(NEW.updated_at)::text, 'null') || '}';
    ELSIF TG_TABLE_NAME = 'jobs' THEN
        project := NEW.project_id;
        payload := '{"type":"progress_update","jobId":' || to_json(NEW.id)::text
            || ',"progress":{"stage":' || coalesce(to_json(NEW.progress_stage)::text, 'null')
            || ',"current":' || coalesce(NEW.progress_current::text, 'null')
            || ',"total":' || coalesce(NEW.progress_total::text, 'null')
            || ',"message":' || coalesce(to_json(NEW.progress_message)::text, 'null')
            || ',"timestamp":' || coalesce(
                   floor(extract(epoch FROM NEW.progress_updated_at) * 1000)::bigint::text, 'null')
            || '}}';
    ELSIF TG_OP = 'INSERT' THEN
        project := NEW.project_id;
        payload := '{"type":"new_proposal","proposalId":' || to_json(NEW.id)::text
            || ',"title":' || coalesce(to_json(NEW.title)::text, 'null')
            || ',"confidence":' || coalesce(to_json(NEW.confidence)::text, 'null')
            || ',"createdAt":' || coalesce(to_json(NEW.created_at)::text, 'null') || '}';
    ELSIF TG_OP = 'UPDATE' THEN
        project := NEW.project_id;
        payload := '{"type":"proposal_update","proposalId":' || to_json(NEW.id)::text
            || ',"title":' || coalesce(to_json(NEW.title)::text, 'null')
            || ',"confidence":' || coalesce(to_json(NEW.confidence)::text, 'null')
            || ',"status":' || coalesce(to_json(NEW.status)::text, 'null')
            || ',"updatedAt":' || coalesce(to_json(NEW.updated_at)::text, 'null') || '}';
    ELSE
        -- Proposals deleted because their project is being deleted make no event.
        IF NOT EXISTS (SELECT 1 FROM "${flyway:defaultSchema}".projects WHERE id = OLD.project_id) THEN
            RETURN NULL;
        END IF;
        project := OLD.project_id;
        payload := '{"type":"proposal_deleted","proposalId":' || to_json(OLD.id)::text || '}';
    END IF;

    INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
    VALUES (project, clock, 0)
    ON CONFLICT (project_id) DO UPDATE SET prev_id = h.last_id, last_id = greatest(h.last_id + 1, clock)
    RETURNING h.last_id, h.prev_id INTO next_id, previous;

    INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
    VALUES (project, next_id, previous, payload::json);

    IF (SELECT notify FROM "${flyway:defaultSchema}".status_stream_capture) THEN
        PERFORM pg_notify('status_stream', project::text);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION status_stream_capture() FROM PUBLIC;

DROP TRIGGER IF EXISTS status_stream_event ON ingestion_sources;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON ingestion_sources
    FOR EACH ROW EXECUTE FUNCTION status_stream_capture();

DROP TRIGGER IF EXISTS status_stream_event ON jobs;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON jobs
    FOR EACH ROW
    WHEN (OLD.progress_updated_at IS DISTINCT FROM NEW.progress_updated_at)
EXECUTE FUNCTION status_stream_capture();

DROP TRIGGER IF EXISTS status_stream_event ON proposed_nodes;
CREATE TRIGGER status_stream_event
    AFTER INSERT OR UPDATE OR DELETE ON proposed_nodes
    FOR EACH ROW EXECUTE FUNCTION status_stream_capture();

DROP TRIGGER IF EXISTS status_stream_event ON projects;
CREATE TRIGGER status_stream_event
    AFTER DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION status_stream_capture();

-- Heads of projects deleted before this migration.
DELETE FROM status_event_heads h WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = h.project_id);
DELETE FROM status_events e WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = e.project_id);

DROP FUNCTION IF EXISTS status_stream_ingestion_source_updated();
DROP FUNCTION IF EXISTS status_stream_job_progressed();
DROP FUNCTION IF EXISTS status_stream_proposal_changed();
DROP FUNCTION IF EXISTS status_stream_append(uuid, json);

REVOKE ALL ON TABLE status_events, status_event_heads, status_stream_capture FROM PUBLIC;
