-- Postline JDBC mail queue, schema version 1. The same file runs on PostgreSQL (12 or newer)
-- and H2 (2.2 or newer); run it yourself, through Flyway/Liquibase, or let
-- JdbcMailQueue.builder(...).createSchema(true) run it. It creates nothing outside these names.
CREATE SEQUENCE IF NOT EXISTS postline_mail_queue_seq;

CREATE TABLE IF NOT EXISTS postline_mail_queue (
  id          VARCHAR(255) NOT NULL PRIMARY KEY,
  -- 0 queued (ready or scheduled), 1 leased, 2 dead letter, 3 finished (kept for idempotency)
  state       SMALLINT     NOT NULL,
  -- 0 HIGH, 1 NORMAL, 2 LOW
  priority    SMALLINT     NOT NULL,
  -- microseconds since the epoch on the database's clock: when a queued message is due, when a
  -- lease lapses, when a message died or finished
  at_us       BIGINT       NOT NULL,
  -- first in first out among messages due at the same time
  seq         BIGINT       NOT NULL,
  attempts    INTEGER      NOT NULL,
  -- how often its lease lapsed: a message that keeps losing its worker is a poison message
  lapses      INTEGER      NOT NULL DEFAULT 0,
  -- the fencing token of the current lease; 0 when no lease may complete it
  token       BIGINT       NOT NULL DEFAULT 0,
  -- versioned JSON, or its AES-GCM encryption; NULL once finished
  payload     BYTEA,
  dead_kind   VARCHAR(32),
  -- the dead letter's reason (UTF-8, or its encryption); NULL for a poison message
  dead_reason BYTEA
);

-- Takes: due queued messages by priority, then due time, then arrival.
CREATE INDEX IF NOT EXISTS postline_mail_queue_take ON postline_mail_queue (state, priority, at_us, seq);
-- Lapsed leases, the next due time, retention trims and dead letters newest first.
CREATE INDEX IF NOT EXISTS postline_mail_queue_time ON postline_mail_queue (state, at_us);
