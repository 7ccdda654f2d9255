-- Access tokens (JobStore+AccessTokens.swift): only their SHA-256 is kept. No placeholders: each
-- statement is the same on both databases.

-- name: insert-token
-- The unique name decides when two nodes add the same name at once.
INSERT INTO access_tokens (id, name, role, sha256, created_at, camp) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING

-- name: tokens
SELECT * FROM access_tokens ORDER BY created_at

-- name: revoke-token
DELETE FROM access_tokens WHERE name = ? OR id = ?

-- name: token
SELECT * FROM access_tokens WHERE id = ?

-- name: token-by-hash
SELECT * FROM access_tokens WHERE sha256 = ?

-- name: token-used
UPDATE access_tokens SET last_used_at = ? WHERE id = ?
