-- CHANGE_CAPTURE=kafka: what the relay published. One instance at a time (the one holding the
-- relay's advisory lock) publishes the log to Kafka; after each flush the brokers acknowledged, it
-- records here the last id published of each project, so that whichever instance takes over
-- resumes from what was durably published, never from memory. A position here is at most what
-- the topic holds: taking over republishes a little (consumers drop what they have), never skips.

CREATE TABLE IF NOT EXISTS status_stream_relay_positions (
    project_id   uuid PRIMARY KEY,
    published_id bigint NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON TABLE status_stream_relay_positions FROM PUBLIC;
