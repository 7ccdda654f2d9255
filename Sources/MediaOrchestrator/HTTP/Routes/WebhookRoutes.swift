import Foundation
import Hummingbird

/// /api/webhooks: the endpoints other tools registered (secrets never shown) and how each
/// delivery went, so a producer can see that the chat room did get "job.ready".
struct WebhookRoutes {
    let context: APIContext

    struct EndpointView: Encodable { let id: String; let url: String; let events: String; let createdAt: Double }

    struct DeliveryView: Encodable {
        let id: String, endpointId: String, event: String, state: String, attempts: Int
        let nextAttemptAt: Double?, lastStatus: Int?, lastError: String?, createdAt: Double, deliveredAt: Double?
        /// The body as sent (and signed).
        let body: String
    }

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("webhooks") { _, _ in
            let endpoints = try await context.inStore { try $0.webhooks() }
            return try APIJSON.response(endpoints.map { EndpointView(id: $0.id, url: $0.url, events: $0.events, createdAt: $0.createdAt) })
        }
        group.get("webhooks/deliveries") { request, _ in
            let query = request.uri.queryParameters
            let state = query["state"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            if let state, !["pending", "delivered", "failed"].contains(state) {
                throw HTTPError(.badRequest, message: "state '\(state)' is not one of pending, delivered, failed")
            }
            let event = query["event"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let limit = try query["limit"].map { raw in
                guard let n = Int(String(raw)), (1...1000).contains(n) else { throw HTTPError(.badRequest, message: "limit '\(raw)' is not a whole number from 1 to 1000") }
                return n
            } ?? 100
            let deliveries = try await context.inStore { try $0.webhookDeliveries(state: state, event: event, limit: limit) }
            return try APIJSON.response(deliveries.map {
                DeliveryView(id: $0.id, endpointId: $0.endpointId, event: $0.event, state: $0.state, attempts: $0.attempts,
                             nextAttemptAt: $0.state == "pending" ? $0.nextAttemptAt : nil, lastStatus: $0.lastStatus, lastError: $0.lastError,
                             createdAt: $0.createdAt, deliveredAt: $0.deliveredAt, body: $0.body)
            })
        }
    }
}
