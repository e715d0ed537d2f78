-- Modem administration (issue 13): the operator's disable flag, kept across restarts,
-- and each SIM's quota use in its current day and month windows (segments handed to the
-- modem). Keyed by the modem's configured name.
CREATE TABLE modem_admin (
    modem       TEXT PRIMARY KEY,
    disabled    INTEGER NOT NULL DEFAULT 0,
    changed_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE modem_quota (
    modem        TEXT PRIMARY KEY,
    day_start    INTEGER NOT NULL,
    day_used     INTEGER NOT NULL,
    month_start  INTEGER NOT NULL,
    month_used   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
