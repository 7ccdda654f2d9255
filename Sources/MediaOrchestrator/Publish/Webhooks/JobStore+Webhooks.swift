import Foundation

/// Webhook endpoints and their deliveries. The SQL is Store/SQL/webhooks.sql.
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
            try tx.execute(SQLCatalogue.webhooks.sql("insert-webhook", tx.dialect),
                           [endpoint.id, endpoint.url, endpoint.secret, endpoint.events, endpoint.createdAt])
            return endpoint
        }
    }

    public func webhooks() throws -> [WebhookEndpoint] {
        try database.read { try $0.records(WebhookEndpoint.self, SQLCatalogue.webhooks.sql("webhooks", $0.dialect)) }
    }

    /// Removes an endpoint and its deliveries not yet made.
    public func removeWebhook(_ idOrURL: String) throws {
        try database.write { tx in
            let ids = try tx.rows(SQLCatalogue.webhooks.sql("webhook-ids", tx.dialect), [idOrURL, idOrURL]).compactMap { $0.string("id") }
            guard !ids.isEmpty else { throw OrchestratorError(subject: idOrURL, "no such webhook (see `mediaorch webhooks list`)", kind: .notFound) }
            for id in ids {
                try tx.execute(SQLCatalogue.webhooks.sql("delete-deliveries", tx.dialect), [id])
                try tx.execute(SQLCatalogue.webhooks.sql("delete-webhook", tx.dialect), [id])
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
            try tx.records(WebhookDelivery.self, SQLCatalogue.webhooks.sql("deliveries", tx.dialect, filling: ["where": SQLCatalogue.whereClause(clauses)]), arguments)
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
            let due = try tx.records(WebhookDelivery.self, SQLCatalogue.webhooks.sql("due-deliveries", tx.dialect), [t, t, limit + busy.count * limit])
            var claimed: [(WebhookDelivery, WebhookEndpoint)] = []
            for var delivery in due where !busy.contains(delivery.endpointId) && claimed.count < limit {
                guard let endpoint = try tx.record(WebhookEndpoint.self, SQLCatalogue.webhooks.sql("webhook", tx.dialect), [delivery.endpointId]) else { continue }
                delivery.leaseUntil = t + lease
                try tx.execute(SQLCatalogue.webhooks.sql("lease-delivery", tx.dialect), [delivery.leaseUntil, delivery.id])
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
            guard let delivery = try tx.record(WebhookDelivery.self, SQLCatalogue.webhooks.sql("leased-delivery", tx.dialect), [id, leaseUntil]) else { return }
            let t = try tx.clock(now)
            let attempts = delivery.attempts + 1
            if let status, (200..<300).contains(status) {
                try tx.execute(SQLCatalogue.webhooks.sql("delivered", tx.dialect), [attempts, status, t, id])
                return
            }
            let delay = schedule.delay(afterFailure: attempts)
            try tx.execute(SQLCatalogue.webhooks.sql("delivery-try-failed", tx.dialect),
                           [delay == nil ? "failed" : "pending", attempts, status, error, t + (delay ?? 0), id])
        }
    }
}
