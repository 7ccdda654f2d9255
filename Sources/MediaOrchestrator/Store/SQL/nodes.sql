-- The cluster's statements: nodes and the leader (JobStore+Nodes.swift), the change feed
-- (JobStore+Changes.swift). Placeholders: {for_update} and {skip_locked}, filled per database by
-- SQLCatalogue (PostgreSQL's row locks, nothing on SQLite's single writer); and {ids}, filled by
-- JobStore.changedRecords: one ? per id asked for, separated by ", ".

-- name: node-for-update
SELECT * FROM nodes WHERE name = ?{for_update}

-- name: register-node
INSERT INTO nodes (name, version, workers, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET version = excluded.version, workers = excluded.workers, pid = excluded.pid, host = excluded.host,
    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, lost_at = NULL

-- name: heartbeat-node
UPDATE nodes SET heartbeat_at = ?, lost_at = NULL WHERE name = ?

-- name: stop-node
UPDATE nodes SET stopped_at = ? WHERE name = ?

-- name: resign-leadership
DELETE FROM leader WHERE node = ?

-- name: elect-leader
INSERT INTO leader (id, node, term, elected_at, expires_at) VALUES (1, ?, 1, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    term = CASE WHEN leader.node = excluded.node THEN leader.term ELSE leader.term + 1 END,
    elected_at = CASE WHEN leader.node = excluded.node THEN leader.elected_at ELSE excluded.elected_at END,
    node = excluded.node, expires_at = excluded.expires_at
WHERE leader.node = excluded.node OR leader.expires_at < excluded.elected_at

-- name: leader
SELECT node, term FROM leader WHERE id = 1 AND expires_at >= ?

-- name: silent-nodes
SELECT name FROM nodes WHERE stopped_at IS NULL AND lost_at IS NULL AND heartbeat_at < ?{skip_locked}

-- name: mark-node-lost
UPDATE nodes SET lost_at = ? WHERE name = ?

-- name: end-leases-of-node
UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND substr(lease_owner, 1, CAST(? AS INTEGER)) = ?

-- name: nodes
SELECT * FROM nodes ORDER BY name

-- name: leader-node
SELECT node FROM leader WHERE id = 1 AND expires_at >= ?

-- name: running-jobs
SELECT id, lease_owner FROM jobs WHERE state = 'running' ORDER BY id

-- name: changes
SELECT seq, kind, id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?

-- name: latest-change-seq
SELECT COALESCE(MAX(seq), 0) AS seq FROM changes

-- name: changed-jobs
SELECT * FROM jobs WHERE id IN ({ids})

-- name: changed-requests
SELECT * FROM reply_requests WHERE id IN ({ids})

-- name: prune-changes
DELETE FROM changes WHERE seq < (SELECT MAX(seq) FROM changes) - ?
