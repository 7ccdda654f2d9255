-- Reply requests' statements (JobStore+Requests.swift). Placeholders: {for_update}, filled per
-- database by SQLCatalogue (PostgreSQL's row lock, nothing on SQLite's single writer); and
-- list-requests' own, filled by JobStore.requests(_:): {where} (" WHERE " and the filters given,
-- joined by AND: the camp, and "state IN (?, ...)" with one ? per state asked for; nothing when
-- none is given) and {limit} (" LIMIT ?" when the filter has a limit, bound after the filters'
-- arguments; else nothing).

-- name: insert-request
INSERT INTO reply_requests (id, state, tweet_url, tweet_id, handle, tweet_text, camp, languages_json, priority,
                            note, deadline, created_by, created_at, updated_at)
VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: request
SELECT * FROM reply_requests WHERE id = ?

-- name: request-for-update
SELECT * FROM reply_requests WHERE id = ?{for_update}

-- name: list-requests
SELECT * FROM reply_requests{where} ORDER BY deadline IS NULL, deadline, created_at{limit}

-- name: cancel-request
UPDATE reply_requests SET state = 'cancelled', updated_at = ? WHERE id = ?

-- name: hold-request
UPDATE reply_requests SET state = ?, upload_id = ?, updated_at = ? WHERE id = ?

-- name: release-request
UPDATE reply_requests SET state = CASE WHEN state = 'uploading' THEN 'open' ELSE state END, upload_id = NULL, updated_at = ?
WHERE id = ? AND (upload_id = ? OR upload_id IS NULL)

-- name: expire-overdue-requests
UPDATE reply_requests SET state = 'expired', updated_at = ? WHERE state IN ('open', 'uploading') AND deadline < ?

-- name: link-request
UPDATE reply_requests SET job_id = ?, state = ?, upload_id = NULL, updated_at = ? WHERE id = ? AND state NOT IN ('posted', 'cancelled')
