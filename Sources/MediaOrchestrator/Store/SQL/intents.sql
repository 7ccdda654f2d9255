-- Ingest claims and intents (JobStore+IngestIntents.swift). No placeholders: each statement is
-- the same on both databases.

-- name: claim-ingest
INSERT INTO ingest_intents (inbox_name, intent_json, created_at, node, lease_until) VALUES (?, '', ?, ?, ?)
ON CONFLICT (inbox_name) DO UPDATE SET node = excluded.node, lease_until = excluded.lease_until
WHERE ingest_intents.node IS NULL OR ingest_intents.node = excluded.node
   OR ingest_intents.lease_until IS NULL OR ingest_intents.lease_until < excluded.created_at

-- name: prune-ingest-claims
DELETE FROM ingest_intents WHERE intent_json = '' AND lease_until < ?

-- name: drop-claim
DELETE FROM ingest_intents WHERE inbox_name = ? AND intent_json = ''

-- name: record-intent
INSERT INTO ingest_intents (inbox_name, intent_json, created_at) VALUES (?, ?, ?)
ON CONFLICT (inbox_name) DO UPDATE SET intent_json = excluded.intent_json, created_at = excluded.created_at

-- name: delete-intent
DELETE FROM ingest_intents WHERE inbox_name = ?

-- name: pending-intents
SELECT intent_json FROM ingest_intents WHERE intent_json <> ''
  AND (CAST(? AS TEXT) IS NULL OR node IS NULL OR node = ? OR lease_until IS NULL OR lease_until < ?)
ORDER BY created_at

-- name: job-source-hashes
SELECT DISTINCT source_sha256 FROM jobs
