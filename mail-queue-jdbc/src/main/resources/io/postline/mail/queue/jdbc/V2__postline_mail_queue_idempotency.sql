-- Postline JDBC mail queue, schema version 2 (after V1__postline_mail_queue.sql): idempotency keys
-- held in the outbox itself, so a key is taken only when the caller's transaction commits. Runs on
-- PostgreSQL and H2 alike, and only adds what is missing.

-- The SHA-256 (base64url) of the message's idempotency key, never the key itself; NULL without a
-- key, and once the message is dead-lettered (a failed message frees its key).
ALTER TABLE postline_mail_queue ADD COLUMN IF NOT EXISTS idem_key VARCHAR(64);

-- One message per key: of two transactions storing one key, the second waits for the first and
-- stores nothing if it commits.
CREATE UNIQUE INDEX IF NOT EXISTS postline_mail_queue_idem_key ON postline_mail_queue (idem_key);
