-- PostgreSQL twin of ../0014_analytics.sql.
-- smsgate store: analytics (issue 11). Each message's destination country (ISO 3166
-- alpha-2 from libphonenumber at accept time; NULL when no plan knows the number), and the
-- rollups the analytics API reads instead of scanning messages:
--
-- * analytics_hourly — per hour of acceptance × route × SMS type × country × current
--   status: messages, segments and cost. A message is counted once, under its current
--   status; `rolled_*` on the message remember the key and cost it is counted under so a
--   change moves it exactly (store/analytics.rs `sync`, called in the transaction of every
--   status change and of every recorded cost).
-- * analytics_daily — the same per UTC day, for the whole days of a range.
-- * analytics_hourly_status — the hourly one without the country, for hourly timelines.
-- * analytics_latency — per hour of sending × route × latency bucket (upper bound, ms):
--   sends, from the lease to the route's answer. A bounded histogram, not samples.
-- * analytics_errors — per hour × route × error class: failed attempts.
ALTER TABLE messages ADD COLUMN country TEXT;
ALTER TABLE messages ADD COLUMN rolled_status TEXT;
ALTER TABLE messages ADD COLUMN rolled_route TEXT;
ALTER TABLE messages ADD COLUMN rolled_cost DOUBLE PRECISION;

CREATE TABLE analytics_hourly (
    hour     BIGINT NOT NULL,
    route    TEXT NOT NULL,
    sms_type TEXT NOT NULL,
    country  TEXT NOT NULL,
    status   TEXT NOT NULL,
    messages BIGINT NOT NULL,
    segments BIGINT NOT NULL,
    cost     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (hour, route, sms_type, country, status)
);

-- The same per UTC day: what ranges of whole days read (30 days are 30 keys, not 720).
CREATE TABLE analytics_daily (
    day      BIGINT NOT NULL,
    route    TEXT NOT NULL,
    sms_type TEXT NOT NULL,
    country  TEXT NOT NULL,
    status   TEXT NOT NULL,
    messages BIGINT NOT NULL,
    segments BIGINT NOT NULL,
    cost     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, route, sms_type, country, status)
);

-- The hourly rollup without the country: what an hourly timeline reads (a month of hours
-- is then some 100 keys an hour, not 300).
CREATE TABLE analytics_hourly_status (
    hour     BIGINT NOT NULL,
    route    TEXT NOT NULL,
    sms_type TEXT NOT NULL,
    status   TEXT NOT NULL,
    messages BIGINT NOT NULL,
    segments BIGINT NOT NULL,
    cost     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (hour, route, sms_type, status)
);

CREATE TABLE analytics_latency (
    hour   BIGINT NOT NULL,
    route  TEXT NOT NULL,
    le_ms  BIGINT NOT NULL,
    sends  BIGINT NOT NULL,
    PRIMARY KEY (hour, route, le_ms)
);

CREATE TABLE analytics_errors (
    hour   BIGINT NOT NULL,
    route  TEXT NOT NULL,
    class  TEXT NOT NULL,
    count  BIGINT NOT NULL,
    PRIMARY KEY (hour, route, class)
);

-- The messages already stored, under what they are now (their country stays unknown:
-- libphonenumber is not in SQL).
UPDATE messages SET rolled_status = status, rolled_route = coalesce(route, ''),
    rolled_cost = coalesce((SELECT sum(cost) FROM segments s WHERE s.message_id = messages.id), 0.0);
INSERT INTO analytics_hourly (hour, route, sms_type, country, status, messages, segments, cost)
SELECT (created_at / 3600000) * 3600000, rolled_route, sms_type, '', status,
       count(*), sum(segments), sum(rolled_cost)
FROM messages GROUP BY 1, 2, 3, 5;
INSERT INTO analytics_daily (day, route, sms_type, country, status, messages, segments, cost)
SELECT (hour / 86400000) * 86400000, route, sms_type, country, status,
       sum(messages), sum(segments), sum(cost)
FROM analytics_hourly GROUP BY 1, 2, 3, 4, 5;
INSERT INTO analytics_hourly_status (hour, route, sms_type, status, messages, segments, cost)
SELECT hour, route, sms_type, status, sum(messages), sum(segments), sum(cost)
FROM analytics_hourly GROUP BY 1, 2, 3, 4;
