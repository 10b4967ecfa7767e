-- The durable event log behind every stream.
--
-- Ids are per project: 1, 2, 3, ... with no gap, in commit order. The trigger takes the next id by
-- updating the project's row in status_event_heads; that row stays locked until the writer's
-- transaction ends, so a second writer of the same project waits, then takes the next id. Hence a
-- reader that has seen id N of a project has seen every id below N, and "all events after N" is
-- complete at any moment, even when transactions commit in another order than they started.
-- A rollback undoes the event and the id together. Writers of different projects never wait for
-- each other.
--
-- NOTIFY carries only the project id (never the payload: no 8000-byte limit), and is sent at
-- commit, so the listener reads only committed events.

CREATE TABLE IF NOT EXISTS status_event_heads (
    project_id uuid PRIMARY KEY,
    last_id    bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS status_events (
    project_id uuid        NOT NULL,
    id         bigint      NOT NULL,
    payload    json        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (project_id, id)
);
CREATE INDEX IF NOT EXISTS status_events_created_at_idx ON status_events (created_at);

CREATE OR REPLACE FUNCTION status_stream_append(project uuid, payload json) RETURNS void
    LANGUAGE plpgsql AS
$$
DECLARE
    next_id bigint;
BEGIN
    INSERT INTO status_event_heads AS h (project_id, last_id)
    VALUES (project, 1)
    ON CONFLICT (project_id) DO UPDATE SET last_id = h.last_id + 1
    RETURNING h.last_id INTO next_id;

    INSERT INTO status_events (project_id, id, payload) VALUES (project, next_id, payload);
    PERFORM pg_notify('status_stream', project::text);
END
$$;

CREATE OR REPLACE FUNCTION status_stream_ingestion_source_updated() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM status_stream_append(NEW.project_id, json_build_object(
            'type', 'status_update',
            'sourceId', NEW.id,
            'status', NEW.status,
            'sourceName', NEW.source_name,
            'updatedAt', NEW.updated_at));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION status_stream_job_progressed() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM status_stream_append(NEW.project_id, json_build_object(
            'type', 'progress_update',
            'jobId', NEW.id,
            'progress', json_build_object(
                    'stage', NEW.progress_stage,
                    'current', NEW.progress_current,
                    'total', NEW.progress_total,
                    'message', NEW.progress_message,
                    'timestamp', floor(extract(epoch FROM NEW.progress_updated_at) * 1000)::bigint)));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION status_stream_proposal_changed() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM status_stream_append(NEW.project_id, json_build_object(
                'type', 'new_proposal',
                'proposalId', NEW.id,
                'title', NEW.title,
                'confidence', NEW.confidence,
                'createdAt', NEW.created_at));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM status_stream_append(NEW.project_id, json_build_object(
                'type', 'proposal_update',
                'proposalId', NEW.id,
                'title', NEW.title,
                'confidence', NEW.confidence,
                'status', NEW.status,
                'updatedAt', NEW.updated_at));
    ELSE
        PERFORM status_stream_append(OLD.project_id, json_build_object(
                'type', 'proposal_deleted',
                'proposalId', OLD.id));
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS status_stream_event ON ingestion_sources;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON ingestion_sources
    FOR EACH ROW EXECUTE FUNCTION status_stream_ingestion_source_updated();

DROP TRIGGER IF EXISTS status_stream_event ON jobs;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON jobs
    FOR EACH ROW
    WHEN (OLD.progress_updated_at IS DISTINCT FROM NEW.progress_updated_at)
EXECUTE FUNCTION status_stream_job_progressed();

DROP TRIGGER IF EXISTS status_stream_event ON proposed_nodes;
CREATE TRIGGER status_stream_event
    AFTER INSERT OR UPDATE OR DELETE ON proposed_nodes
    FOR EACH ROW EXECUTE FUNCTION status_stream_proposal_changed();
