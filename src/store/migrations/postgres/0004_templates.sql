-- PostgreSQL twin of ../0004_templates.sql.
-- SMS templates: the current version of each in `templates`, every version it replaced in
-- `template_versions` (written in the same transaction as the update that replaced it).
-- Deleting a template deletes its history with it (ON DELETE CASCADE).
-- `is_active` stays a BIGINT 0/1 as in SQLite, so the same SQL and bindings work on both.
CREATE TABLE templates (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    content      TEXT    NOT NULL,
    variables    TEXT    NOT NULL,              -- JSON array of placeholder names
    category     TEXT,
    sms_type     TEXT    NOT NULL,
    is_active    BIGINT  NOT NULL DEFAULT 1,
    version      BIGINT  NOT NULL DEFAULT 1,
    usage_count  BIGINT  NOT NULL DEFAULT 0,    -- messages accepted with it
    last_used_at BIGINT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL               -- when the current version was made
);
CREATE INDEX templates_listing ON templates (created_at DESC, id);

CREATE TABLE template_versions (
    template_id TEXT    NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    version     BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    content     TEXT    NOT NULL,
    variables   TEXT    NOT NULL,
    category    TEXT,
    sms_type    TEXT    NOT NULL,
    is_active   BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,               -- when this version was made
    replaced_at BIGINT  NOT NULL,               -- when the next one replaced it
    PRIMARY KEY (template_id, version)
);
