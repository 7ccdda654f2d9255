import Foundation


/// Where another tool (a chat room, a spreadsheet) wants to hear about events, and the secret
/// its deliveries are signed with.
public struct WebhookEndpoint: Sendable, Codable, Equatable {
    public var id: String
    public var url: String
    /// "whsec_" + base64 of the key, as Standard Webhooks writes it; never shown after `add`.
    public var secret: String
    /// Comma-separated event types, or "*".
    public var events: String
    public var createdAt: Double

    enum CodingKeys: String, CodingKey { case id, url, secret, events, createdAt = "created_at" }

    public static let eventTypes = ["request.created", "job.ready", "job.failed", "job.dead", "reply.posted"]
}

/// One event on its way to one endpoint: pending (due at `nextAttemptAt`), delivered, or
/// failed (given up after every retry).
public struct WebhookDelivery: Sendable, Codable, Equatable {
    public var id: String
    public var endpointId: String
    public var event: String
    /// The JSON body sent, exactly as signed.
    public var body: String
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Double
    public var leaseUntil: Double?
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Double
    public var deliveredAt: Double?

    enum CodingKeys: String, CodingKey {
        case id, endpointId = "endpoint_id", event, body, state, attempts, nextAttemptAt = "next_attempt_at"
        case leaseUntil = "lease_until", lastStatus = "last_status", lastError = "last_error"
        case createdAt = "created_at", deliveredAt = "delivered_at"
    }
}

/// How long to wait after each failed try: quick at first (a receiver restarting), then
/// spread over a day (a receiver down for hours still gets every event).
public struct WebhookRetrySchedule: Sendable {
    public var delays: [TimeInterval] = [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600]

    public init() {}

    /// Delay after failed try `n` (1-based); nil: give up.
    func delay(afterFailure n: Int) -> TimeInterval? {
        n >= 1 && n <= delays.count ? delays[n - 1] : nil
    }
}
