-- The job queue's statements (JobStore+Queue.swift), as River keeps its queries: one file per
-- concern, each statement under its name. Placeholders are filled per database by SQLCatalogue:
-- {for_update} and {skip_locked} (PostgreSQL's row locks, nothing on SQLite's single writer),
-- {clock} (the database's own clock), {fence} (AttemptFence: this attempt, this worker).

-- name: insert-job
-- A job unless one with its id exists: two nodes ingesting the same clip at once, the key decides.
INSERT INTO jobs (id, state, template, priority, source_name, source_sha256, archive_path, ticket_json,
                  trim_start, trim_end, max_attempts, next_attempt_at, parent_id, created_at, updated_at)
VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING

-- name: claim
-- SQLite's claim, inside a write transaction (the single writer makes the pick).
WITH next AS (
    SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND next_attempt_at <= ?
    ORDER BY priority, next_attempt_at, created_at LIMIT 1{skip_locked}
)
UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?, updated_at = ?
WHERE id IN (SELECT id FROM next) RETURNING *

-- name: insert-attempt
INSERT INTO attempts (job_id, number, worker, started_at) VALUES (?, ?, ?, ?)

-- name: claim-in-one-statement
-- PostgreSQL's claim, as River and Oban make it: one statement, one round trip, picks the most
-- urgent due job no other node is taking, leases it on the database's clock, records the attempt.
WITH clock AS (SELECT COALESCE(CAST(? AS float8), {clock}) AS t),
next AS (
    SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND next_attempt_at <= (SELECT t FROM clock)
    ORDER BY priority, next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?,
                    lease_expires_at = (SELECT t FROM clock) + ?, updated_at = (SELECT t FROM clock)
    WHERE id IN (SELECT id FROM next) RETURNING *
),
attempt AS (
    INSERT INTO attempts (job_id, number, worker, started_at)
    SELECT id, attempts, lease_owner, updated_at FROM claimed
)
SELECT * FROM claimed

-- name: renew
UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE {fence}

-- name: disk-releases
SELECT COUNT(*) AS n FROM attempts WHERE job_id = ? AND outcome = ?

-- name: fenced-job
SELECT * FROM jobs WHERE {fence}{for_update}

-- name: finish-job
UPDATE jobs SET state = ?, max_attempts = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
       lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?

-- name: finish-attempt
UPDATE attempts SET ended_at = ?, outcome = ?, error = ? WHERE job_id = ? AND number = ?

-- name: lapsed-leases
SELECT * FROM jobs WHERE state = 'running' AND lease_expires_at < ?{skip_locked}

-- name: rescue-job
UPDATE jobs SET state = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL,
       updated_at = ? WHERE id = ?

-- name: rescue-attempt
UPDATE attempts SET ended_at = ?, outcome = 'lease lapsed', error = ? WHERE job_id = ? AND number = ?

-- name: promote-starved
-- Editors' cuts wait behind replies, but not for ever.
UPDATE jobs SET priority = 0, updated_at = ? WHERE state IN ('queued', 'failed') AND priority > 0 AND next_attempt_at < ?
