import Foundation

extension JobStore {
    /// Adds an endpoint for `events` (nil: every event); returns it with its secret, shown once.
    public func addWebhook(url: String, events: [String]? = nil, now: Date? = nil) throws -> WebhookEndpoint {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
              parsed.host?.isEmpty == false, url.count <= 2000 else {
            throw OrchestratorError(subject: url, "is not an http(s) address for webhooks")
        }
        let events = events ?? ["*"]
        for event in events where event != "*" && !WebhookEndpoint.eventTypes.contains(event) {
            throw OrchestratorError(subject: event, "is not an event (\(WebhookEndpoint.eventTypes.joined(separator: ", ")))")
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let id = "wh-" + (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return try database.write { tx in
            let endpoint = WebhookEndpoint(id: id, url: url, secret: "whsec_" + Data(key).base64EncodedString(),
                                           events: events.contains("*") ? "*" : events.joined(separator: ","), createdAt: try tx.clock(now))
            try tx.execute("INSERT INTO webhooks (id, url, secret, events, created_at) VALUES (?, ?, ?, ?, ?)",
                           [endpoint.id, endpoint.url, endpoint.secret, endpoint.events, endpoint.createdAt])
            return endpoint
        }
    }

    public func webhooks() throws -> [WebhookEndpoint] {
        try database.read { try $0.records(WebhookEndpoint.self, "SELECT * FROM webhooks ORDER BY created_at") }
    }

    /// Removes an endpoint and its deliveries not yet made.
    public func removeWebhook(_ idOrURL: String) throws {
        try database.write { tx in
            let ids = try tx.rows("SELECT id FROM webhooks WHERE id = ? OR url = ?", [idOrURL, idOrURL]).compactMap { $0.string("id") }
            guard !ids.isEmpty else { throw OrchestratorError(subject: idOrURL, "no such webhook (see `mediaorch webhooks list`)", kind: .notFound) }
            for id in ids {
                try tx.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ?", [id])
                try tx.execute("DELETE FROM webhooks WHERE id = ?", [id])
            }
        }
    }

    /// Deliveries, newest first.
    public func webhookDeliveries(state: String? = nil, event: String? = nil, limit: Int = 100) throws -> [WebhookDelivery] {
        var clauses: [String] = [], arguments: [any StoreArgument] = []
        if let state { clauses.append("state = ?"); arguments.append(state) }
        if let event { clauses.append("event = ?"); arguments.append(event) }
        arguments.append(limit)
        return try database.read { tx in
            try tx.records(WebhookDelivery.self, "SELECT * FROM webhook_deliveries" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
                           + " ORDER BY created_at DESC, \(tx.dialect.insertionOrder) DESC LIMIT ?", arguments)
        }
    }

    /// Takes up to `limit` due deliveries for `lease` seconds, oldest first: another sender
    /// (another process on this store) skips them until the lease ends.
    /// `skipping`: endpoints with a delivery still under way here; theirs wait for the next round,
    /// so one slow receiver's backlog neither takes the round's places nor sits leased in a queue.
    func claimDueDeliveries(now: Date? = nil, lease: TimeInterval = 60, limit: Int = 20,
                            skipping busy: Set<String> = []) throws -> [(WebhookDelivery, WebhookEndpoint)] {
        try database.write { tx in
            let t = try tx.clock(now)
            let due = try tx.records(WebhookDelivery.self, """
                SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                ORDER BY next_attempt_at, created_at LIMIT ?\(tx.dialect.forUpdateSkipLocked)
                """, [t, t, limit + busy.count * limit])
            var claimed: [(WebhookDelivery, WebhookEndpoint)] = []
            for var delivery in due where !busy.contains(delivery.endpointId) && claimed.count < limit {
                guard let endpoint = try tx.record(WebhookEndpoint.self, "SELECT * FROM webhooks WHERE id = ?", [delivery.endpointId]) else { continue }
                delivery.leaseUntil = t + lease
                try tx.execute("UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?", [delivery.leaseUntil, delivery.id])
                claimed.append((delivery, endpoint))
            }
            return claimed
        }
    }

    /// Records how a try went: delivered on a 2xx, else retried later or given up.
    /// Fenced by the lease it was taken under: a sender whose lease ran out (a paused ex-leader)
    /// cannot overwrite what the sender that took the delivery next recorded.
    func recordDeliveryTry(_ id: String, leaseUntil: Double?, status: Int?, error: String?, schedule: WebhookRetrySchedule, now: Date? = nil) throws {
        try database.write { tx in
            guard let delivery = try tx.record(WebhookDelivery.self, """
                SELECT * FROM webhook_deliveries WHERE id = ? AND state = 'pending' AND lease_until = ?\(tx.dialect.forUpdate)
                """, [id, leaseUntil]) else { return }
            let t = try tx.clock(now)
            let attempts = delivery.attempts + 1
            if let status, (200..<300).contains(status) {
                try tx.execute("""
                    UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, lease_until = NULL, delivered_at = ? WHERE id = ?
                    """, [attempts, status, t, id])
                return
            }
            let delay = schedule.delay(afterFailure: attempts)
            try tx.execute("""
                UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, lease_until = NULL, next_attempt_at = ? WHERE id = ?
                """, [delay == nil ? "failed" : "pending", attempts, status, error, t + (delay ?? 0), id])
        }
    }
}
