-- The jobs' own statements (JobStore.swift): reading jobs and their attempts, a producer's retry
-- and cancel. Placeholders: {for_update}, filled per database by SQLCatalogue (PostgreSQL's row
-- lock, nothing on SQLite's single writer); and list-jobs' own, filled by JobStore.list(_:):
-- {where} (" WHERE " and the filters given, joined by AND: state, template, the ticket's camp
-- through SQLDialect.jsonText, updated since; nothing when none is given) and {limit}
-- (" LIMIT ?" when the filter has a limit, bound after the filters' arguments; else nothing).

-- name: job
SELECT * FROM jobs WHERE id = ?

-- name: job-for-update
SELECT * FROM jobs WHERE id = ?{for_update}

-- name: attempts
SELECT * FROM attempts WHERE job_id = ? ORDER BY number

-- name: list-jobs
SELECT * FROM jobs{where} ORDER BY created_at DESC{limit}

-- name: oldest-waiting-reply
SELECT MIN(created_at) AS oldest FROM jobs
WHERE state IN ('queued', 'failed') AND parent_id IS NULL AND template NOT LIKE 'bts-cut%'

-- name: counts-by-state
SELECT state, COUNT(*) AS n FROM jobs GROUP BY state

-- name: retry
UPDATE jobs SET state = 'queued', max_attempts = attempts + ?, next_attempt_at = ?,
       trim_start = COALESCE(?, trim_start), trim_end = COALESCE(?, trim_end), updated_at = ? WHERE id = ?

-- name: cancel-job
UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?

-- name: cancel-attempt
UPDATE attempts SET ended_at = ?, outcome = 'cancelled' WHERE job_id = ? AND ended_at IS NULL
