-- The event kit's tables, present in every service's database.

-- Transactional outbox: a use case inserts its events here in the same
-- transaction as its state change; the relay publishes them in id order.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    message_key   text        NOT NULL,
    event_type    text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
-- The relay only ever looks for unpublished rows.
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Idempotent consumers: one row per (consumer group, event source, event id),
-- inserted in the same transaction as the event's effect.
CREATE TABLE processed_events (
    consumer      text        NOT NULL,
    event_source  text        NOT NULL,
    event_id      text        NOT NULL,
    event_type    text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_source, event_id)
);

-- Idempotency-Key support for HTTP writes: the first request claims the key,
-- its response is stored and replayed to retries with the same body.
CREATE TABLE idempotency_keys (
    principal     text        NOT NULL,
    idem_key      text        NOT NULL,
    method        text        NOT NULL,
    path          text        NOT NULL,
    request_hash  text        NOT NULL,
    status_code   integer,
    response_body bytea,
    response_headers jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, idem_key)
);

-- Audit trail: every write, who did it and under which correlation id.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    actor          text        NOT NULL,
    actor_roles    text[]      NOT NULL DEFAULT '{}',
    action         text        NOT NULL,
    subject_type   text        NOT NULL,
    subject_id     text        NOT NULL,
    details        jsonb       NOT NULL DEFAULT '{}',
    correlation_id text
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);
