-- smsgate store: OTP sessions, 2FA enrolments and backup codes, sealed message text.
-- No table holds a plain code: codes are HMAC-SHA256 hashes under the server's OTP secret,
-- and the text of a message carrying one is kept only sealed until it is sent.

-- The text of a message that carries a secret, sealed (crate::seal); `body` then holds the
-- redacted text. Wiped (NULL) once the message is sent or final.
ALTER TABLE messages ADD COLUMN sealed_body TEXT;

CREATE TABLE otp_sessions (
    id           TEXT PRIMARY KEY NOT NULL,   -- the public session_id
    phone        TEXT NOT NULL,               -- E.164
    purpose      TEXT NOT NULL,               -- 'verification', or '2fa:<user_id>'
    code_hash    BLOB NOT NULL,               -- HMAC-SHA256(secret, id ‖ code)
    code_length  INTEGER NOT NULL,
    alphanumeric INTEGER NOT NULL,
    expiry_minutes INTEGER NOT NULL,
    text_template TEXT NOT NULL,              -- the text with {otp} and {expiry} unfilled
    status       TEXT NOT NULL,               -- active | verified | locked | superseded
    attempts     INTEGER NOT NULL DEFAULT 0,  -- wrong codes given for the current code
    max_attempts INTEGER NOT NULL,
    resends      INTEGER NOT NULL DEFAULT 0,
    message_id   INTEGER,                     -- the SMS carrying the current code
    expires_at   INTEGER NOT NULL,
    last_sent_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    verified_at  INTEGER,
    metadata     TEXT
);
-- Verify by number: the newest active session of a number and purpose.
CREATE INDEX otp_sessions_active ON otp_sessions(phone, purpose, created_at)
    WHERE status = 'active';
-- Purging old sessions.
CREATE INDEX otp_sessions_created ON otp_sessions(created_at);

CREATE TABLE twofa_users (
    user_id      TEXT PRIMARY KEY NOT NULL,
    phone        TEXT NOT NULL,               -- E.164
    status       TEXT NOT NULL,               -- pending | active
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    activated_at INTEGER
);

CREATE TABLE twofa_backup_codes (
    user_id   TEXT NOT NULL REFERENCES twofa_users(user_id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,                  -- HMAC-SHA256(secret, 'backup' ‖ user ‖ code)
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
