-- PostgreSQL twin of ../0007_segment_cost.sql.
-- smsgate store: what a cloud provider charged for each segment (in its currency, from its
-- answer), shown in GET /api/sms/{id}. NULL for modems and when the answer gave no price.
ALTER TABLE segments ADD COLUMN cost DOUBLE PRECISION;
