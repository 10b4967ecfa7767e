-- A lighter capture (issue 13): the same events, ids and rights as V3, at less cost per change.
--
-- Cost of one tracked UPDATE of jobs in logical mode, in instructions (callgrind, single-user
-- backend, autocommit): a plain UPDATE 178,000; with V3's trigger 413,000. Most of the trigger's
-- part is fixed cost paid again at every change, since every change is a new transaction: three
-- SQL statements (head upsert, insert, mode read), each with its executor start and end, and a
-- payload expression of some 30 functions, compiled anew in every transaction, whose text is then
-- parsed again as json. Here, measured one after the other:
--   - one trigger function per table instead of one chain of TG_TABLE_NAME tests: 404,000;
--   - the head upsert, the insert and the mode read in one statement (the upsert in a WITH, the
--     mode read in RETURNING): 397,000;
--   - the payload made by row_to_json of a row whose columns are named as the keys: the same
--     compact JSON byte for byte (keys in the same order; strings, uuids, timestamps and numbers
--     written by the same to_json code, the integer columns as before), from a smaller
--     expression and with nothing to parse again: 378,000.
-- In notify mode 430,000 -> 396,000. The ids (greatest(last + 1, clock in microseconds), taken
-- under the head row lock), prev_id, the rights (SECURITY DEFINER, pinned search_path, every name
-- of ours schema-qualified, EXECUTE revoked from PUBLIC), the project-delete behaviour and the
-- NOTIFY in notify mode are V3's.

CREATE OR REPLACE FUNCTION status_stream_capture_job() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    notifies boolean;
BEGIN
    WITH head AS (
        INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
        VALUES (NEW.project_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, 0)
        ON CONFLICT (project_id) DO UPDATE
            SET prev_id = h.last_id, last_id = greatest(h.last_id + 1, excluded.last_id)
        RETURNING h.last_id, h.prev_id)
    INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
    SELECT NEW.project_id, head.last_id, head.prev_id, row_to_json(event)
    FROM head,
         (SELECT 'progress_update' AS "type", NEW.id AS "jobId", progress AS "progress"
          FROM (SELECT NEW.progress_stage AS "stage",
                       NEW.progress_current AS "current",
                       NEW.progress_total AS "total",
                       NEW.progress_message AS "message",
                       floor(extract(epoch FROM NEW.progress_updated_at) * 1000)::bigint AS "timestamp"
               ) progress) event
    RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;

    IF notifies THEN
        PERFORM pg_notify('status_stream', NEW.project_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION status_stream_capture_ingestion_source() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    notifies boolean;
BEGIN
    WITH head AS (
        INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
        VALUES (NEW.project_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, 0)
        ON CONFLICT (project_id) DO UPDATE
            SET prev_id = h.last_id, last_id = greatest(h.last_id + 1, excluded.last_id)
        RETURNING h.last_id, h.prev_id)
    INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
    SELECT NEW.project_id, head.last_id, head.prev_id, row_to_json(event)
    FROM head,
         (SELECT 'status_update' AS "type",
                 NEW.id AS "sourceId",
                 NEW.status AS "status",
                 NEW.source_name AS "sourceName",
                 NEW.updated_at AS "updatedAt") event
    RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;

    IF notifies THEN
        PERFORM pg_notify('status_stream', NEW.project_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION status_stream_capture_proposal() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    project  uuid;
    notifies boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        project := NEW.project_id;
        WITH head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            VALUES (project, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, 0)
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id, last_id = greatest(h.last_id + 1, excluded.last_id)
            RETURNING h.last_id, h.prev_id)
        INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
        SELECT project, head.last_id, head.prev_id, row_to_json(event)
        FROM head,
             (SELECT 'new_proposal' AS "type",
                     NEW.id AS "proposalId",
                     NEW.title AS "title",
                     NEW.confidence AS "confidence",
                     NEW.created_at AS "createdAt") event
        RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
    ELSIF TG_OP = 'UPDATE' THEN
        project := NEW.project_id;
        WITH head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            VALUES (project, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, 0)
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id, last_id = greatest(h.last_id + 1, excluded.last_id)
            RETURNING h.last_id, h.prev_id)
        INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
        SELECT project, head.last_id, head.prev_id, row_to_json(event)
        FROM head,
             (SELECT 'proposal_update' AS "type",
                     NEW.id AS "proposalId",
                     NEW.title AS "title",
                     NEW.confidence AS "confidence",
                     NEW.status AS "status",
                     NEW.updated_at AS "updatedAt") event
        RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
    ELSE
        -- Proposals deleted because their project is being deleted make no event.
        IF NOT EXISTS (SELECT 1 FROM "${flyway:defaultSchema}".projects WHERE id = OLD.project_id) THEN
            RETURN NULL;
        END IF;
        project := OLD.project_id;
        WITH head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            VALUES (project, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, 0)
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id, last_id = greatest(h.last_id + 1, excluded.last_id)
            RETURNING h.last_id, h.prev_id)
        INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
        SELECT project, head.last_id, head.prev_id, row_to_json(event)
        FROM head,
             (SELECT 'proposal_deleted' AS "type", OLD.id AS "proposalId") event
        RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
    END IF;

    IF notifies THEN
        PERFORM pg_notify('status_stream', project::text);
    END IF;
    RETURN NULL;
END
$$;

-- As V3: a deleted project takes its history along (a project re-created with the same id starts
-- empty); the NOTIFY tells listeners to drop the project and end its streams.
CREATE OR REPLACE FUNCTION status_stream_capture_project_deleted() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    DELETE FROM "${flyway:defaultSchema}".status_events WHERE project_id = OLD.id;
    DELETE FROM "${flyway:defaultSchema}".status_event_heads WHERE project_id = OLD.id;
    IF (SELECT notify FROM "${flyway:defaultSchema}".status_stream_capture) THEN
        PERFORM pg_notify('status_stream', OLD.id::text);
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION status_stream_capture_job() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_ingestion_source() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_proposal() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_project_deleted() FROM PUBLIC;

DROP TRIGGER IF EXISTS status_stream_event ON ingestion_sources;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON ingestion_sources
    FOR EACH ROW EXECUTE FUNCTION status_stream_capture_ingestion_source();

DROP TRIGGER IF EXISTS status_stream_event ON jobs;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON jobs
    FOR EACH ROW
    WHEN (OLD.progress_updated_at IS DISTINCT FROM NEW.progress_updated_at)
EXECUTE FUNCTION status_stream_capture_job();

DROP TRIGGER IF EXISTS status_stream_event ON proposed_nodes;
CREATE TRIGGER status_stream_event
    AFTER INSERT OR UPDATE OR DELETE ON proposed_nodes
    FOR EACH ROW EXECUTE FUNCTION status_stream_capture_proposal();

DROP TRIGGER IF EXISTS status_stream_event ON projects;
CREATE TRIGGER status_stream_event
    AFTER DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION status_stream_capture_project_deleted();

DROP FUNCTION IF EXISTS status_stream_capture();
