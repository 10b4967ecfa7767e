-- Capture with no more rights than writing the log needs, at the same cost per row for one row or
-- twenty thousand, and with project deletion in the log itself.
--
-- Who the capture runs as. The trigger functions are SECURITY DEFINER (writers need no right on the
-- log), and a definer function runs as its owner. Until now that was whoever ran the migration,
-- often a superuser; and a value of a type a writer defines can run that writer's code (a cast to
-- json, jsonb or text is found by type, whatever the search_path). Now the functions belong to
-- ${captureRole}, a NOLOGIN role that may only insert into the log, read and write the heads, and
-- read the capture mode. And they never convert a value of a type other than the one the contract
-- gives its column through a cast: each row is checked with pg_typeof (which calls nothing of the
-- type's), and a value of another type is turned into text by its type's output function
-- (format('%s'), which only a superuser can define) and from there into JSON by our own rules.
--
-- Bulk writes. A row trigger updated the project's head once per row; in one transaction every
-- update leaves a version of that row behind, and each next update walks them all: 20,000 rows of
-- one project took 17x the plain UPDATE. Statement triggers with transition tables take each
-- project's head once per statement, give its rows consecutive ids in the statement's row order,
-- and insert them in one statement. Heads are locked in project id order, the same in every
-- statement. The ids stay greatest(last + 1, clock in microseconds) for the first row of a project
-- in a statement (and above floor_id), prev_id names each event's predecessor, and the payloads
-- are V4's byte for byte. A statement of one row, the usual write, takes a shorter way: its row is
-- read once (with the statement's size), and logged by V4's single statement.
--
-- Project deletion. A deleted project gets one more entry in its log, {"type":"project_deleted"},
-- and its head stays, with deleted_id pointing at that entry. The entry travels like any event, in
-- order, whatever carries the log to the instances (NOTIFY, logical replication, a broker), and
-- ends the project's streams: a stream can never go on into a re-created project of the same id,
-- whose first event continues from the entry, and a position older than the entry is never
-- continued by anything after it. The service deletes the older history (the purge), so the
-- capture role needs no right to delete. Proposals deleted along with their project make no event
-- (PostgreSQL deletes them after the project's own statement trigger ran).
--
-- The ${captureRole} role is created here when the migrating user may (CREATEROLE or superuser);
-- else the migration stops and says what to run.

DO $migration$
DECLARE
    capture_role text := '${captureRole}';
    existing     pg_roles%ROWTYPE;
BEGIN
    SELECT * INTO existing FROM pg_roles WHERE rolname = capture_role;
    IF NOT FOUND THEN
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', capture_role);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'the capture functions need a role of their own, and % may not create'
                ' roles: as a superuser or a role with CREATEROLE, run CREATE ROLE % NOLOGIN'
                ' NOINHERIT; GRANT % TO %; the service tries again by itself',
                current_user, capture_role, capture_role, current_user;
        END;
    ELSIF existing.rolsuper OR existing.rolcanlogin OR existing.rolbypassrls
        OR existing.rolcreaterole OR existing.rolcreatedb OR existing.rolreplication
        OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = existing.oid) THEN
        RAISE EXCEPTION 'the role % exists with more than the capture needs (it may log in, has'
            ' attributes, or is a member of a role): run ALTER ROLE % NOLOGIN NOSUPERUSER'
            ' NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS and revoke its memberships; the service'
            ' tries again by itself', capture_role, capture_role;
    END IF;
    -- Giving the role the functions below needs membership in it.
    IF NOT pg_has_role(current_user, capture_role, 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT %I TO %I', capture_role, current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% must be a member of % to give it the capture functions: as a'
                ' superuser, run GRANT % TO %; the service tries again by itself',
                current_user, capture_role, capture_role, current_user;
        END;
    END IF;
END
$migration$;

-- deleted_id: the project's deletion entry (see above). floor_id: the highest id a history the
-- database no longer has handed out (a restore, a failover); the service sets it when it finds the
-- log rewound, and new ids go above it, so that no client's position is ever reused.
ALTER TABLE status_event_heads ADD COLUMN IF NOT EXISTS deleted_id bigint;
ALTER TABLE status_event_heads ADD COLUMN IF NOT EXISTS floor_id bigint;

REVOKE ALL ON TABLE status_events, status_event_heads, status_stream_capture FROM "${captureRole}";
GRANT USAGE ON SCHEMA "${flyway:defaultSchema}" TO "${captureRole}";
GRANT INSERT ON TABLE status_events TO "${captureRole}";
GRANT SELECT, INSERT, UPDATE ON TABLE status_event_heads TO "${captureRole}";
GRANT SELECT ON TABLE status_stream_capture TO "${captureRole}";

-- The payloads' shapes: row_to_json of these writes V4's compact JSON, keys in this order.
CREATE TYPE status_stream_status_update AS (
    "type" text, "sourceId" uuid, "status" text, "sourceName" text, "updatedAt" timestamptz);
CREATE TYPE status_stream_progress AS (
    "stage" text, "current" integer, "total" integer, "message" text, "timestamp" bigint);
CREATE TYPE status_stream_progress_update AS (
    "type" text, "jobId" uuid, "progress" status_stream_progress);
CREATE TYPE status_stream_new_proposal AS (
    "type" text, "proposalId" uuid, "title" text, "confidence" double precision,
    "createdAt" timestamptz);
CREATE TYPE status_stream_proposal_update AS (
    "type" text, "proposalId" uuid, "title" text, "confidence" double precision, "status" text,
    "updatedAt" timestamptz);
CREATE TYPE status_stream_proposal_deleted AS ("type" text, "proposalId" uuid);

-- A value whose column no longer has the contract's type, as JSON, from its text: a string, a
-- number when it is one (else null), a time when it reads as one in ISO form (else null).
CREATE FUNCTION status_stream_json_text(value text) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$ SELECT coalesce(to_json(value)::text, 'null') $$;

CREATE FUNCTION status_stream_json_number(value text) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
SELECT CASE
           WHEN value ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$' THEN value
           WHEN value IN ('NaN', 'Infinity', '-Infinity') THEN '"' || value || '"'
           ELSE 'null' END
$$;

CREATE FUNCTION status_stream_time(value text) RETURNS timestamptz
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS
$$
SELECT CASE WHEN value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?[-+][0-9]{2}(:[0-9]{2}){0,2}$'
            THEN value::timestamptz END
$$;

CREATE FUNCTION status_stream_uuid(value text) RETURNS uuid
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
SELECT CASE WHEN value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            THEN value::uuid END
$$;

-- A row whose columns do not all have the contract's types, as its event's JSON, each value by the
-- rules above: never through a cast of the value's own type. Not inlined (plpgsql), so that the
-- statements below carry only the typed path's expression, the one they evaluate.
CREATE FUNCTION status_stream_untyped_status_update(t anyelement) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN '{"type":"status_update"'
        || ',"sourceId":'
        || CASE WHEN num_nulls(t.id) = 1 THEN 'null'
            WHEN pg_typeof(t.id) = 'uuid'::regtype THEN to_json(t.id)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.id)) END
        || ',"status":'
        || CASE WHEN num_nulls(t.status) = 1 THEN 'null'
            WHEN pg_typeof(t.status) = 'text'::regtype THEN to_json(t.status)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.status)) END
        || ',"sourceName":'
        || CASE WHEN num_nulls(t.source_name) = 1 THEN 'null'
            WHEN pg_typeof(t.source_name) = 'text'::regtype THEN to_json(t.source_name)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.source_name)) END
        || ',"updatedAt":'
        || CASE WHEN num_nulls(t.updated_at) = 1 THEN 'null'
            WHEN pg_typeof(t.updated_at) = 'timestamptz'::regtype THEN to_json(t.updated_at)::text
            ELSE coalesce(to_json("${flyway:defaultSchema}".status_stream_time(format('%s', t.updated_at)))::text, 'null') END
        || '}';
END
$$;

CREATE FUNCTION status_stream_untyped_progress_update(t anyelement) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN '{"type":"progress_update","jobId":'
        || CASE WHEN num_nulls(t.id) = 1 THEN 'null'
            WHEN pg_typeof(t.id) = 'uuid'::regtype THEN to_json(t.id)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.id)) END
        || ',"progress":{"stage":'
        || CASE WHEN num_nulls(t.progress_stage) = 1 THEN 'null'
            WHEN pg_typeof(t.progress_stage) = 'text'::regtype THEN to_json(t.progress_stage)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.progress_stage)) END
        || ',"current":'
        || CASE WHEN num_nulls(t.progress_current) = 1 THEN 'null'
            WHEN pg_typeof(t.progress_current) = 'integer'::regtype THEN to_json(t.progress_current)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_number(format('%s', t.progress_current)) END
        || ',"total":'
        || CASE WHEN num_nulls(t.progress_total) = 1 THEN 'null'
            WHEN pg_typeof(t.progress_total) = 'integer'::regtype THEN to_json(t.progress_total)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_number(format('%s', t.progress_total)) END
        || ',"message":'
        || CASE WHEN num_nulls(t.progress_message) = 1 THEN 'null'
            WHEN pg_typeof(t.progress_message) = 'text'::regtype THEN to_json(t.progress_message)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.progress_message)) END
        || ',"timestamp":'
        || CASE WHEN num_nulls(t.progress_updated_at) = 1 THEN 'null'
            WHEN pg_typeof(t.progress_updated_at) = 'timestamptz'::regtype THEN floor(extract(epoch FROM t.progress_updated_at) * 1000)::bigint::text
            ELSE coalesce(floor(extract(epoch FROM "${flyway:defaultSchema}".status_stream_time(format('%s', t.progress_updated_at))) * 1000)::bigint::text, 'null') END
        || '}}';
END
$$;

CREATE FUNCTION status_stream_untyped_new_proposal(t anyelement) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN '{"type":"new_proposal"'
        || ',"proposalId":'
        || CASE WHEN num_nulls(t.id) = 1 THEN 'null'
            WHEN pg_typeof(t.id) = 'uuid'::regtype THEN to_json(t.id)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.id)) END
        || ',"title":'
        || CASE WHEN num_nulls(t.title) = 1 THEN 'null'
            WHEN pg_typeof(t.title) = 'text'::regtype THEN to_json(t.title)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.title)) END
        || ',"confidence":'
        || CASE WHEN num_nulls(t.confidence) = 1 THEN 'null'
            WHEN pg_typeof(t.confidence) = 'double precision'::regtype THEN to_json(t.confidence)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_number(format('%s', t.confidence)) END
        || ',"createdAt":'
        || CASE WHEN num_nulls(t.created_at) = 1 THEN 'null'
            WHEN pg_typeof(t.created_at) = 'timestamptz'::regtype THEN to_json(t.created_at)::text
            ELSE coalesce(to_json("${flyway:defaultSchema}".status_stream_time(format('%s', t.created_at)))::text, 'null') END
        || '}';
END
$$;

CREATE FUNCTION status_stream_untyped_proposal_update(t anyelement) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN '{"type":"proposal_update"'
        || ',"proposalId":'
        || CASE WHEN num_nulls(t.id) = 1 THEN 'null'
            WHEN pg_typeof(t.id) = 'uuid'::regtype THEN to_json(t.id)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.id)) END
        || ',"title":'
        || CASE WHEN num_nulls(t.title) = 1 THEN 'null'
            WHEN pg_typeof(t.title) = 'text'::regtype THEN to_json(t.title)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.title)) END
        || ',"confidence":'
        || CASE WHEN num_nulls(t.confidence) = 1 THEN 'null'
            WHEN pg_typeof(t.confidence) = 'double precision'::regtype THEN to_json(t.confidence)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_number(format('%s', t.confidence)) END
        || ',"status":'
        || CASE WHEN num_nulls(t.status) = 1 THEN 'null'
            WHEN pg_typeof(t.status) = 'text'::regtype THEN to_json(t.status)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.status)) END
        || ',"updatedAt":'
        || CASE WHEN num_nulls(t.updated_at) = 1 THEN 'null'
            WHEN pg_typeof(t.updated_at) = 'timestamptz'::regtype THEN to_json(t.updated_at)::text
            ELSE coalesce(to_json("${flyway:defaultSchema}".status_stream_time(format('%s', t.updated_at)))::text, 'null') END
        || '}';
END
$$;

CREATE FUNCTION status_stream_untyped_proposal_deleted(t anyelement) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN '{"type":"proposal_deleted"'
        || ',"proposalId":'
        || CASE WHEN num_nulls(t.id) = 1 THEN 'null'
            WHEN pg_typeof(t.id) = 'uuid'::regtype THEN to_json(t.id)::text
            ELSE "${flyway:defaultSchema}".status_stream_json_text(format('%s', t.id)) END
        || '}';
END
$$;

-- UPDATE of ingestion_sources: status_update.
CREATE FUNCTION status_stream_capture_sources() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    clock    bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    rows     bigint;
    target   uuid;
    body     text;
    moved    boolean;
    notifies boolean;
    saved    text[];
BEGIN
    -- The statement's size, and its first row's project and event.
    SELECT (SELECT count(*) FROM changed),
           CASE WHEN pg_typeof((x.t).project_id) = 'uuid'::regtype THEN (x.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (x.t).project_id)) END,
           CASE WHEN x.typed THEN row_to_json(ROW('status_update', (x.t).id, (x.t).status, (x.t).source_name, (x.t).updated_at)::"${flyway:defaultSchema}".status_stream_status_update)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_status_update((x.t)) END
    INTO rows, target, body
    FROM (SELECT t, pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.status) = 'text'::regtype
                     AND pg_typeof(t.source_name) = 'text'::regtype
                     AND pg_typeof(t.updated_at) = 'timestamptz'::regtype AS typed
          FROM changed t LIMIT 1) x;
    IF rows = 1 THEN
        IF target IS NOT NULL THEN
            WITH head AS (
                INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
                VALUES (target, clock, 0)
                ON CONFLICT (project_id) DO UPDATE
                    SET prev_id = h.last_id,
                        last_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1)
                RETURNING h.last_id, h.prev_id)
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT target, head.last_id, head.prev_id, body::json FROM head
            RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
            IF notifies THEN
                PERFORM pg_notify('status_stream', target::text);
            END IF;
        END IF;
    ELSIF rows > 1 THEN
        saved := ARRAY[current_setting('jit'), current_setting('work_mem'),
                       current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
        PERFORM set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
                set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
        WITH change AS (
            SELECT r.k,
                   CASE WHEN pg_typeof((r.t).project_id) = 'uuid'::regtype THEN (r.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (r.t).project_id)) END AS project,
                   CASE WHEN types.typed THEN row_to_json(ROW('status_update', (r.t).id, (r.t).status, (r.t).source_name, (r.t).updated_at)::"${flyway:defaultSchema}".status_stream_status_update)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_status_update((r.t)) END AS payload
            FROM (SELECT row_number() OVER () AS k, t FROM changed t) r
                 CROSS JOIN (SELECT pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.status) = 'text'::regtype
                     AND pg_typeof(t.source_name) = 'text'::regtype
                     AND pg_typeof(t.updated_at) = 'timestamptz'::regtype AS typed
                             FROM changed t LIMIT 1) types),
        numbered AS (
            SELECT project, payload,
                   row_number() OVER (PARTITION BY project ORDER BY k) AS j,
                   count(*) OVER (PARTITION BY project) AS n
            FROM change WHERE project IS NOT NULL),
        head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            SELECT project, clock + n - 1, 0 FROM numbered WHERE j = 1 ORDER BY project
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id,
                    last_id = greatest(h.last_id + (excluded.last_id - clock + 1), excluded.last_id,
                                      coalesce(h.floor_id, 0) + (excluded.last_id - clock + 1))
            RETURNING h.project_id, h.last_id, h.prev_id),
        logged AS (
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT e.project, h.last_id - e.n + e.j,
                   CASE WHEN e.j = 1 THEN h.prev_id ELSE h.last_id - e.n + e.j - 1 END,
                   e.payload::json
            FROM numbered e JOIN head h ON h.project_id = e.project
            ORDER BY e.project, e.j)
        SELECT count(pg_notify('status_stream', project_id::text)) INTO rows
        FROM head
        WHERE (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c);
        PERFORM set_config('jit', saved[1], true), set_config('work_mem', saved[2], true),
                set_config('enable_mergejoin', saved[3], true), set_config('enable_nestloop', saved[4], true);
    END IF;
    RETURN NULL;
END
$$;

-- UPDATE of jobs that changes progress_updated_at: progress_update.
CREATE FUNCTION status_stream_capture_jobs() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    clock    bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    rows     bigint;
    target   uuid;
    body     text;
    moved    boolean;
    notifies boolean;
    saved    text[];
BEGIN
    -- The statement's size, and whether its first row moved the job's progress (without the
    -- typed path's expressions: most updates of a job do not).
    SELECT (SELECT count(*) FROM changed),
           CASE WHEN pg_typeof(t.progress_updated_at) = 'timestamptz'::regtype
                THEN (SELECT o.progress_updated_at FROM previous o LIMIT 1) IS DISTINCT FROM t.progress_updated_at
                ELSE num_nulls((SELECT o.progress_updated_at FROM previous o LIMIT 1)) <> num_nulls(t.progress_updated_at)
                     OR format('%s', (SELECT o.progress_updated_at FROM previous o LIMIT 1)) <> format('%s', t.progress_updated_at) END
    INTO rows, moved
    FROM changed t LIMIT 1;
    IF rows = 1 AND moved THEN
        SELECT CASE WHEN pg_typeof((x.t).project_id) = 'uuid'::regtype THEN (x.t).project_id
                          ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (x.t).project_id)) END,
               CASE WHEN x.typed THEN row_to_json(ROW('progress_update', (x.t).id,
                              ROW((x.t).progress_stage, (x.t).progress_current, (x.t).progress_total, (x.t).progress_message,
                                  floor(extract(epoch FROM (x.t).progress_updated_at) * 1000)::bigint
                              )::"${flyway:defaultSchema}".status_stream_progress)::"${flyway:defaultSchema}".status_stream_progress_update)::text
                          ELSE "${flyway:defaultSchema}".status_stream_untyped_progress_update((x.t)) END
        INTO target, body
        FROM (SELECT t, pg_typeof(t.project_id) = 'uuid'::regtype
                         AND pg_typeof(t.id) = 'uuid'::regtype
                         AND pg_typeof(t.progress_stage) = 'text'::regtype
                         AND pg_typeof(t.progress_current) = 'integer'::regtype
                         AND pg_typeof(t.progress_total) = 'integer'::regtype
                         AND pg_typeof(t.progress_message) = 'text'::regtype
                         AND pg_typeof(t.progress_updated_at) = 'timestamptz'::regtype AS typed
              FROM changed t LIMIT 1) x;
    END IF;
    IF rows = 1 THEN
        IF target IS NOT NULL AND moved THEN
            WITH head AS (
                INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
                VALUES (target, clock, 0)
                ON CONFLICT (project_id) DO UPDATE
                    SET prev_id = h.last_id,
                        last_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1)
                RETURNING h.last_id, h.prev_id)
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT target, head.last_id, head.prev_id, body::json FROM head
            RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
            IF notifies THEN
                PERFORM pg_notify('status_stream', target::text);
            END IF;
        END IF;
    ELSIF rows > 1 THEN
        saved := ARRAY[current_setting('jit'), current_setting('work_mem'),
                       current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
        PERFORM set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
                set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
        WITH change AS (
            SELECT r.k,
                   CASE WHEN pg_typeof((r.t).project_id) = 'uuid'::regtype THEN (r.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (r.t).project_id)) END AS project,
                   CASE WHEN types.typed THEN row_to_json(ROW('progress_update', (r.t).id,
                          ROW((r.t).progress_stage, (r.t).progress_current, (r.t).progress_total, (r.t).progress_message,
                              floor(extract(epoch FROM (r.t).progress_updated_at) * 1000)::bigint
                          )::"${flyway:defaultSchema}".status_stream_progress)::"${flyway:defaultSchema}".status_stream_progress_update)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_progress_update((r.t)) END AS payload
            FROM (SELECT a.k, a.t, b.t AS o
                   FROM (SELECT row_number() OVER () AS k, t FROM changed t) a
                        JOIN (SELECT row_number() OVER () AS k, t FROM previous t) b ON b.k = a.k) r
                 CROSS JOIN (SELECT pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.progress_stage) = 'text'::regtype
                     AND pg_typeof(t.progress_current) = 'integer'::regtype
                     AND pg_typeof(t.progress_total) = 'integer'::regtype
                     AND pg_typeof(t.progress_message) = 'text'::regtype
                     AND pg_typeof(t.progress_updated_at) = 'timestamptz'::regtype AS typed
                             FROM changed t LIMIT 1) types
            WHERE CASE WHEN typed THEN (r.o).progress_updated_at IS DISTINCT FROM (r.t).progress_updated_at
                      ELSE num_nulls((r.o).progress_updated_at) <> num_nulls((r.t).progress_updated_at)
                           OR format('%s', (r.o).progress_updated_at) <> format('%s', (r.t).progress_updated_at) END),
        numbered AS (
            SELECT project, payload,
                   row_number() OVER (PARTITION BY project ORDER BY k) AS j,
                   count(*) OVER (PARTITION BY project) AS n
            FROM change WHERE project IS NOT NULL),
        head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            SELECT project, clock + n - 1, 0 FROM numbered WHERE j = 1 ORDER BY project
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id,
                    last_id = greatest(h.last_id + (excluded.last_id - clock + 1), excluded.last_id,
                                      coalesce(h.floor_id, 0) + (excluded.last_id - clock + 1))
            RETURNING h.project_id, h.last_id, h.prev_id),
        logged AS (
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT e.project, h.last_id - e.n + e.j,
                   CASE WHEN e.j = 1 THEN h.prev_id ELSE h.last_id - e.n + e.j - 1 END,
                   e.payload::json
            FROM numbered e JOIN head h ON h.project_id = e.project
            ORDER BY e.project, e.j)
        SELECT count(pg_notify('status_stream', project_id::text)) INTO rows
        FROM head
        WHERE (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c);
        PERFORM set_config('jit', saved[1], true), set_config('work_mem', saved[2], true),
                set_config('enable_mergejoin', saved[3], true), set_config('enable_nestloop', saved[4], true);
    END IF;
    RETURN NULL;
END
$$;

-- INSERT into proposed_nodes: new_proposal.
CREATE FUNCTION status_stream_capture_proposals_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    clock    bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    rows     bigint;
    target   uuid;
    body     text;
    moved    boolean;
    notifies boolean;
    saved    text[];
BEGIN
    -- The statement's size, and its first row's project and event.
    SELECT (SELECT count(*) FROM changed),
           CASE WHEN pg_typeof((x.t).project_id) = 'uuid'::regtype THEN (x.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (x.t).project_id)) END,
           CASE WHEN x.typed THEN row_to_json(ROW('new_proposal', (x.t).id, (x.t).title, (x.t).confidence, (x.t).created_at)::"${flyway:defaultSchema}".status_stream_new_proposal)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_new_proposal((x.t)) END
    INTO rows, target, body
    FROM (SELECT t, pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.title) = 'text'::regtype
                     AND pg_typeof(t.confidence) = 'double precision'::regtype
                     AND pg_typeof(t.created_at) = 'timestamptz'::regtype AS typed
          FROM changed t LIMIT 1) x;
    IF rows = 1 THEN
        IF target IS NOT NULL THEN
            WITH head AS (
                INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
                VALUES (target, clock, 0)
                ON CONFLICT (project_id) DO UPDATE
                    SET prev_id = h.last_id,
                        last_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1)
                RETURNING h.last_id, h.prev_id)
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT target, head.last_id, head.prev_id, body::json FROM head
            RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
            IF notifies THEN
                PERFORM pg_notify('status_stream', target::text);
            END IF;
        END IF;
    ELSIF rows > 1 THEN
        saved := ARRAY[current_setting('jit'), current_setting('work_mem'),
                       current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
        PERFORM set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
                set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
        WITH change AS (
            SELECT r.k,
                   CASE WHEN pg_typeof((r.t).project_id) = 'uuid'::regtype THEN (r.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (r.t).project_id)) END AS project,
                   CASE WHEN types.typed THEN row_to_json(ROW('new_proposal', (r.t).id, (r.t).title, (r.t).confidence, (r.t).created_at)::"${flyway:defaultSchema}".status_stream_new_proposal)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_new_proposal((r.t)) END AS payload
            FROM (SELECT row_number() OVER () AS k, t FROM changed t) r
                 CROSS JOIN (SELECT pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.title) = 'text'::regtype
                     AND pg_typeof(t.confidence) = 'double precision'::regtype
                     AND pg_typeof(t.created_at) = 'timestamptz'::regtype AS typed
                             FROM changed t LIMIT 1) types),
        numbered AS (
            SELECT project, payload,
                   row_number() OVER (PARTITION BY project ORDER BY k) AS j,
                   count(*) OVER (PARTITION BY project) AS n
            FROM change WHERE project IS NOT NULL),
        head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            SELECT project, clock + n - 1, 0 FROM numbered WHERE j = 1 ORDER BY project
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id,
                    last_id = greatest(h.last_id + (excluded.last_id - clock + 1), excluded.last_id,
                                      coalesce(h.floor_id, 0) + (excluded.last_id - clock + 1))
            RETURNING h.project_id, h.last_id, h.prev_id),
        logged AS (
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT e.project, h.last_id - e.n + e.j,
                   CASE WHEN e.j = 1 THEN h.prev_id ELSE h.last_id - e.n + e.j - 1 END,
                   e.payload::json
            FROM numbered e JOIN head h ON h.project_id = e.project
            ORDER BY e.project, e.j)
        SELECT count(pg_notify('status_stream', project_id::text)) INTO rows
        FROM head
        WHERE (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c);
        PERFORM set_config('jit', saved[1], true), set_config('work_mem', saved[2], true),
                set_config('enable_mergejoin', saved[3], true), set_config('enable_nestloop', saved[4], true);
    END IF;
    RETURN NULL;
END
$$;

-- UPDATE of proposed_nodes: proposal_update.
CREATE FUNCTION status_stream_capture_proposals_updated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    clock    bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    rows     bigint;
    target   uuid;
    body     text;
    moved    boolean;
    notifies boolean;
    saved    text[];
BEGIN
    -- The statement's size, and its first row's project and event.
    SELECT (SELECT count(*) FROM changed),
           CASE WHEN pg_typeof((x.t).project_id) = 'uuid'::regtype THEN (x.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (x.t).project_id)) END,
           CASE WHEN x.typed THEN row_to_json(ROW('proposal_update', (x.t).id, (x.t).title, (x.t).confidence, (x.t).status, (x.t).updated_at)::"${flyway:defaultSchema}".status_stream_proposal_update)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_proposal_update((x.t)) END
    INTO rows, target, body
    FROM (SELECT t, pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.title) = 'text'::regtype
                     AND pg_typeof(t.confidence) = 'double precision'::regtype
                     AND pg_typeof(t.status) = 'text'::regtype
                     AND pg_typeof(t.updated_at) = 'timestamptz'::regtype AS typed
          FROM changed t LIMIT 1) x;
    IF rows = 1 THEN
        IF target IS NOT NULL THEN
            WITH head AS (
                INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
                VALUES (target, clock, 0)
                ON CONFLICT (project_id) DO UPDATE
                    SET prev_id = h.last_id,
                        last_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1)
                RETURNING h.last_id, h.prev_id)
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT target, head.last_id, head.prev_id, body::json FROM head
            RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
            IF notifies THEN
                PERFORM pg_notify('status_stream', target::text);
            END IF;
        END IF;
    ELSIF rows > 1 THEN
        saved := ARRAY[current_setting('jit'), current_setting('work_mem'),
                       current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
        PERFORM set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
                set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
        WITH change AS (
            SELECT r.k,
                   CASE WHEN pg_typeof((r.t).project_id) = 'uuid'::regtype THEN (r.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (r.t).project_id)) END AS project,
                   CASE WHEN types.typed THEN row_to_json(ROW('proposal_update', (r.t).id, (r.t).title, (r.t).confidence, (r.t).status, (r.t).updated_at)::"${flyway:defaultSchema}".status_stream_proposal_update)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_proposal_update((r.t)) END AS payload
            FROM (SELECT row_number() OVER () AS k, t FROM changed t) r
                 CROSS JOIN (SELECT pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype
                     AND pg_typeof(t.title) = 'text'::regtype
                     AND pg_typeof(t.confidence) = 'double precision'::regtype
                     AND pg_typeof(t.status) = 'text'::regtype
                     AND pg_typeof(t.updated_at) = 'timestamptz'::regtype AS typed
                             FROM changed t LIMIT 1) types),
        numbered AS (
            SELECT project, payload,
                   row_number() OVER (PARTITION BY project ORDER BY k) AS j,
                   count(*) OVER (PARTITION BY project) AS n
            FROM change WHERE project IS NOT NULL),
        head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            SELECT project, clock + n - 1, 0 FROM numbered WHERE j = 1 ORDER BY project
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id,
                    last_id = greatest(h.last_id + (excluded.last_id - clock + 1), excluded.last_id,
                                      coalesce(h.floor_id, 0) + (excluded.last_id - clock + 1))
            RETURNING h.project_id, h.last_id, h.prev_id),
        logged AS (
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT e.project, h.last_id - e.n + e.j,
                   CASE WHEN e.j = 1 THEN h.prev_id ELSE h.last_id - e.n + e.j - 1 END,
                   e.payload::json
            FROM numbered e JOIN head h ON h.project_id = e.project
            ORDER BY e.project, e.j)
        SELECT count(pg_notify('status_stream', project_id::text)) INTO rows
        FROM head
        WHERE (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c);
        PERFORM set_config('jit', saved[1], true), set_config('work_mem', saved[2], true),
                set_config('enable_mergejoin', saved[3], true), set_config('enable_nestloop', saved[4], true);
    END IF;
    RETURN NULL;
END
$$;

-- DELETE from proposed_nodes: proposal_deleted; none for the proposals deleted along with their
-- project (they are deleted after the project's entry, project_deleted, is logged).
CREATE FUNCTION status_stream_capture_proposals_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    clock    bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    rows     bigint;
    target   uuid;
    body     text;
    moved    boolean;
    notifies boolean;
    saved    text[];
BEGIN
    -- The statement's size, and its first row's project and event.
    SELECT (SELECT count(*) FROM previous),
           CASE WHEN pg_typeof((x.t).project_id) = 'uuid'::regtype THEN (x.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (x.t).project_id)) END,
           CASE WHEN x.typed THEN row_to_json(ROW('proposal_deleted', (x.t).id)::"${flyway:defaultSchema}".status_stream_proposal_deleted)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_proposal_deleted((x.t)) END
    INTO rows, target, body
    FROM (SELECT t, pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype AS typed
          FROM previous t LIMIT 1) x;
    IF rows = 1 THEN
        IF target IS NOT NULL THEN
            WITH head AS (
                INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
                VALUES (target, clock, 0)
                ON CONFLICT (project_id) DO UPDATE
                    SET prev_id = h.last_id,
                        last_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1)
                    -- Deleted along with their project, whose last entry is already logged.
                    WHERE h.deleted_id IS DISTINCT FROM h.last_id
                RETURNING h.last_id, h.prev_id)
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT target, head.last_id, head.prev_id, body::json FROM head
            RETURNING (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c) INTO notifies;
            IF notifies THEN
                PERFORM pg_notify('status_stream', target::text);
            END IF;
        END IF;
    ELSIF rows > 1 THEN
        saved := ARRAY[current_setting('jit'), current_setting('work_mem'),
                       current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
        PERFORM set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
                set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
        WITH change AS (
            SELECT r.k,
                   CASE WHEN pg_typeof((r.t).project_id) = 'uuid'::regtype THEN (r.t).project_id
                      ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', (r.t).project_id)) END AS project,
                   CASE WHEN types.typed THEN row_to_json(ROW('proposal_deleted', (r.t).id)::"${flyway:defaultSchema}".status_stream_proposal_deleted)::text
                      ELSE "${flyway:defaultSchema}".status_stream_untyped_proposal_deleted((r.t)) END AS payload
            FROM (SELECT row_number() OVER () AS k, t FROM previous t) r
                 CROSS JOIN (SELECT pg_typeof(t.project_id) = 'uuid'::regtype
                     AND pg_typeof(t.id) = 'uuid'::regtype AS typed
                             FROM previous t LIMIT 1) types),
        numbered AS (
            SELECT project, payload,
                   row_number() OVER (PARTITION BY project ORDER BY k) AS j,
                   count(*) OVER (PARTITION BY project) AS n
            FROM change WHERE project IS NOT NULL),
        head AS (
            INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id)
            SELECT project, clock + n - 1, 0 FROM numbered WHERE j = 1 ORDER BY project
            ON CONFLICT (project_id) DO UPDATE
                SET prev_id = h.last_id,
                    last_id = greatest(h.last_id + (excluded.last_id - clock + 1), excluded.last_id,
                                      coalesce(h.floor_id, 0) + (excluded.last_id - clock + 1))
                -- Deleted along with their project, whose last entry is already logged.
                WHERE h.deleted_id IS DISTINCT FROM h.last_id
            RETURNING h.project_id, h.last_id, h.prev_id),
        logged AS (
            INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
            SELECT e.project, h.last_id - e.n + e.j,
                   CASE WHEN e.j = 1 THEN h.prev_id ELSE h.last_id - e.n + e.j - 1 END,
                   e.payload::json
            FROM numbered e JOIN head h ON h.project_id = e.project
            ORDER BY e.project, e.j)
        SELECT count(pg_notify('status_stream', project_id::text)) INTO rows
        FROM head
        WHERE (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c);
        PERFORM set_config('jit', saved[1], true), set_config('work_mem', saved[2], true),
                set_config('enable_mergejoin', saved[3], true), set_config('enable_nestloop', saved[4], true);
    END IF;
    RETURN NULL;
END
$$;


-- DELETE from projects: the project's last entry, {"type":"project_deleted"}, which ends its
-- streams; its head stays and names that entry (deleted_id).
CREATE FUNCTION status_stream_capture_projects_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    clock bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    done  bigint;
BEGIN
    WITH gone AS (
        SELECT DISTINCT
               CASE WHEN pg_typeof(g.id) = 'uuid'::regtype THEN g.id
                    ELSE "${flyway:defaultSchema}".status_stream_uuid(format('%s', g.id)) END AS project
        FROM previous g),
    head AS (
        INSERT INTO "${flyway:defaultSchema}".status_event_heads AS h (project_id, last_id, prev_id, deleted_id)
        SELECT project, clock, 0, clock FROM gone WHERE project IS NOT NULL ORDER BY project
        ON CONFLICT (project_id) DO UPDATE
            SET prev_id = h.last_id,
                last_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1),
                deleted_id = greatest(h.last_id + 1, excluded.last_id, coalesce(h.floor_id, 0) + 1)
        RETURNING h.project_id, h.last_id, h.prev_id),
    logged AS (
        INSERT INTO "${flyway:defaultSchema}".status_events (project_id, id, prev_id, payload)
        SELECT project_id, last_id, prev_id, '{"type":"project_deleted"}'::json
        FROM head ORDER BY project_id)
    SELECT count(pg_notify('status_stream', project::text)) INTO done
    FROM gone
    WHERE project IS NOT NULL AND (SELECT c.notify FROM "${flyway:defaultSchema}".status_stream_capture c);
    RETURN NULL;
END
$$;

-- The functions run as the capture role. It needs CREATE on the schema only for the moment it is
-- given them.
GRANT CREATE ON SCHEMA "${flyway:defaultSchema}" TO "${captureRole}";
ALTER FUNCTION status_stream_json_text(text) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_json_number(text) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_time(text) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_uuid(text) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_untyped_status_update(anyelement) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_untyped_progress_update(anyelement) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_untyped_new_proposal(anyelement) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_untyped_proposal_update(anyelement) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_untyped_proposal_deleted(anyelement) OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_capture_sources() OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_capture_jobs() OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_capture_proposals_inserted() OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_capture_proposals_updated() OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_capture_proposals_deleted() OWNER TO "${captureRole}";
ALTER FUNCTION status_stream_capture_projects_deleted() OWNER TO "${captureRole}";
REVOKE CREATE ON SCHEMA "${flyway:defaultSchema}" FROM "${captureRole}";

REVOKE ALL ON FUNCTION status_stream_json_text(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_json_number(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_time(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_uuid(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_untyped_status_update(anyelement) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_untyped_progress_update(anyelement) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_untyped_new_proposal(anyelement) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_untyped_proposal_update(anyelement) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_untyped_proposal_deleted(anyelement) FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_sources() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_jobs() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_proposals_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_proposals_updated() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_proposals_deleted() FROM PUBLIC;
REVOKE ALL ON FUNCTION status_stream_capture_projects_deleted() FROM PUBLIC;

DROP TRIGGER IF EXISTS status_stream_event ON ingestion_sources;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON ingestion_sources
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION status_stream_capture_sources();

DROP TRIGGER IF EXISTS status_stream_event ON jobs;
CREATE TRIGGER status_stream_event
    AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION status_stream_capture_jobs();

DROP TRIGGER IF EXISTS status_stream_event ON proposed_nodes;
CREATE TRIGGER status_stream_event_insert
    AFTER INSERT ON proposed_nodes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION status_stream_capture_proposals_inserted();
CREATE TRIGGER status_stream_event_update
    AFTER UPDATE ON proposed_nodes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION status_stream_capture_proposals_updated();
CREATE TRIGGER status_stream_event_delete
    AFTER DELETE ON proposed_nodes
    REFERENCING OLD TABLE AS previous
    FOR EACH STATEMENT EXECUTE FUNCTION status_stream_capture_proposals_deleted();

DROP TRIGGER IF EXISTS status_stream_event ON projects;
CREATE TRIGGER status_stream_event
    AFTER DELETE ON projects
    REFERENCING OLD TABLE AS previous
    FOR EACH STATEMENT EXECUTE FUNCTION status_stream_capture_projects_deleted();

DROP FUNCTION IF EXISTS status_stream_capture_job();
DROP FUNCTION IF EXISTS status_stream_capture_ingestion_source();
DROP FUNCTION IF EXISTS status_stream_capture_proposal();
DROP FUNCTION IF EXISTS status_stream_capture_project_deleted();
