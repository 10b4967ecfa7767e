-- The tables other services write (see INTERFACE.md). IF NOT EXISTS: a database where they were
-- already created by another service is accepted as it is, never dropped or rewritten.

CREATE TABLE IF NOT EXISTS projects (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS project_members (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    text NOT NULL,
    role       text NOT NULL DEFAULT 'member',
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE IF NOT EXISTS ingestion_sources (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    source_name text,
    status      text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ingestion_sources_project_id_idx ON ingestion_sources (project_id);

CREATE TABLE IF NOT EXISTS jobs (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    progress_stage      text,
    progress_current    integer,
    progress_total      integer,
    progress_message    text,
    progress_updated_at timestamptz DEFAULT now()
);
CREATE INDEX IF NOT EXISTS jobs_project_id_idx ON jobs (project_id);

CREATE TABLE IF NOT EXISTS proposed_nodes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title      text,
    confidence double precision,
    status     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS proposed_nodes_project_id_idx ON proposed_nodes (project_id);
