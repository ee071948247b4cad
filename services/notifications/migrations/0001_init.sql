-- Deliveries: one row per logical notification, claimed before sending, so a
-- mail goes out at most once (event id + kind + recipient is unique).
CREATE TABLE deliveries (
    id            uuid PRIMARY KEY,
    event_id      text        NOT NULL,
    kind          text        NOT NULL,
    recipient_id  text        NOT NULL,
    status        text        NOT NULL DEFAULT 'scheduled'
                  CHECK (status IN ('scheduled', 'sending', 'sent', 'failed', 'suppressed')),
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text,
    send_after    timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    UNIQUE (event_id, kind, recipient_id)
);
