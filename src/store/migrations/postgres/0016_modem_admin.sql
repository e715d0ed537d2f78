-- PostgreSQL twin of ../0016_modem_admin.sql.
-- Modem administration (issue 13): the operator's disable flag, kept across restarts,
-- and each SIM's quota use in its current day and month windows (segments handed to the
-- modem). Keyed by the modem's configured name.
CREATE TABLE modem_admin (
    modem       TEXT PRIMARY KEY,
    disabled    BIGINT NOT NULL DEFAULT 0,
    changed_at  BIGINT NOT NULL
);

CREATE TABLE modem_quota (
    modem        TEXT PRIMARY KEY,
    day_start    BIGINT NOT NULL,
    day_used     BIGINT NOT NULL,
    month_start  BIGINT NOT NULL,
    month_used   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
