-- Webhook endpoints and their deliveries (JobStore+Webhooks.swift); the triggers that queue the
-- deliveries are schema (WebhookSchema.swift). Placeholders: {for_update} and {skip_locked}, filled
-- per database by SQLCatalogue (PostgreSQL's row locks, nothing on SQLite's single writer), and
-- {insertion_order} (SQLDialect.insertionOrder: rowid on SQLite, seq on PostgreSQL); and
-- deliveries' own, filled by JobStore.webhookDeliveries: {where} (" WHERE " and the filters given,
-- joined by AND: state, event; nothing when none is given; the limit is bound after them).

-- name: insert-webhook
INSERT INTO webhooks (id, url, secret, events, created_at) VALUES (?, ?, ?, ?, ?)

-- name: webhooks
SELECT * FROM webhooks ORDER BY created_at

-- name: webhook-ids
SELECT id FROM webhooks WHERE id = ? OR url = ?

-- name: delete-deliveries
DELETE FROM webhook_deliveries WHERE endpoint_id = ?

-- name: delete-webhook
DELETE FROM webhooks WHERE id = ?

-- name: deliveries
SELECT * FROM webhook_deliveries{where} ORDER BY created_at DESC, {insertion_order} DESC LIMIT ?

-- name: due-deliveries
SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
ORDER BY next_attempt_at, created_at LIMIT ?{skip_locked}

-- name: webhook
SELECT * FROM webhooks WHERE id = ?

-- name: lease-delivery
UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?

-- name: leased-delivery
SELECT * FROM webhook_deliveries WHERE id = ? AND state = 'pending' AND lease_until = ?{for_update}

-- name: delivered
UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, lease_until = NULL, delivered_at = ? WHERE id = ?

-- name: delivery-try-failed
UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, lease_until = NULL, next_attempt_at = ? WHERE id = ?
