-- Publishing and posting (JobStore+Publishing.swift, JobStore+Posting.swift). Placeholders, filled
-- per database by SQLCatalogue: {for_update} (PostgreSQL's row lock, nothing on SQLite's single
-- writer), {fence} (AttemptFence: this attempt, this worker, a live lease; bind its arguments
-- after the statement's).

-- name: fenced-job-id
SELECT id FROM jobs WHERE {fence}{for_update}

-- name: already-published
-- This very publish already committed and its answer was lost with the connection: say so.
SELECT id FROM jobs WHERE id = ? AND state = 'succeeded' AND published_attempt = ? AND manifest_sha256 = ?

-- name: publish-job
UPDATE jobs SET state = 'succeeded', published_attempt = ?, manifest_sha256 = ?, next_attempt_at = ?,
       lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?

-- name: publish-attempt
UPDATE attempts SET ended_at = ?, outcome = 'succeeded', error = NULL WHERE job_id = ? AND number = ?

-- name: published-attempt
SELECT published_attempt FROM jobs WHERE id = ?

-- name: published-attempts
SELECT id, published_attempt, manifest_sha256, updated_at FROM jobs
WHERE published_attempt IS NOT NULL AND manifest_sha256 IS NOT NULL

-- name: running-attempt
SELECT id FROM jobs WHERE {fence}

-- name: post-job
UPDATE jobs SET posted_url = ?, posted_by = ?, posted_at = ?, consent_override_by = ?, consent_override_reason = ?, updated_at = ?
WHERE id = ?

-- name: post-request
UPDATE reply_requests SET state = 'posted', posted_url = ?, posted_by = ?, posted_at = ?,
       consent_override_by = ?, consent_override_reason = ?, updated_at = ?
WHERE job_id = ?

-- name: add-consent
UPDATE jobs SET ticket_json = ?, consent_added_by = ?, consent_added_at = ?, updated_at = ? WHERE id = ?

-- name: manifest-rewritten
UPDATE jobs SET manifest_sha256 = ? WHERE id = ? AND (manifest_sha256 = ? OR manifest_sha256 IS NULL)
