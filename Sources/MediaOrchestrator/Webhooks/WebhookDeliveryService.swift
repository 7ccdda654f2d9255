import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Sends the webhook outbox: every second, the deliveries that are due go out as signed POSTs
/// (a few at a time, 10 s each at most); a 2xx marks one delivered, anything else schedules a
/// retry. It runs beside the workers and never holds up a job: the triggers only add rows.
public struct WebhookDeliveryService: Service {
    let store: JobStore
    let schedule: WebhookRetrySchedule
    let interval: TimeInterval
    /// Only the leader sends (nil: this process is the only one on its store). Two senders at
    /// once would still not send a delivery twice: each takes its deliveries under a lease.
    let leadership: Leadership?
    let logger: Logger

    public init(store: JobStore, schedule: WebhookRetrySchedule = WebhookRetrySchedule(), interval: TimeInterval = 1,
                leadership: Leadership? = nil, logger: Logger) {
        self.store = store
        self.leadership = leadership
        self.schedule = schedule
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // A webhook is answered, not followed elsewhere: no redirects.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { if leadership?.isLeader ?? true { _ = try await deliverDue(client: client) } } catch {
                logger.warning("webhooks: store unavailable; trying again", metadata: ["reason": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
        try await client.shutdown()
    }

    /// Sends what is due now; returns how many tries were made.
    func deliverDue(client: HTTPClient, now: Date? = nil) async throws -> Int {
        let store = self.store
        let due = try await BlockingWork.run { try store.claimDueDeliveries(now: now) }
        await withTaskGroup(of: Void.self) { group in
            for (index, (delivery, endpoint)) in due.enumerated() {
                if index >= 4 { await group.next() } // at most four at once
                group.addTask { await send(delivery, to: endpoint, client: client, now: now) }
            }
        }
        return due.count
    }

    private func send(_ delivery: WebhookDelivery, to endpoint: WebhookEndpoint, client: HTTPClient, now: Date?) async {
        let timestamp = Int(Date().timeIntervalSince1970)
        var status: Int? = nil, failure: String? = nil
        if let signature = WebhookSignature.sign(secret: endpoint.secret, id: delivery.id, timestamp: timestamp, body: delivery.body) {
            var request = HTTPClientRequest(url: endpoint.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "mediaorch-webhooks")
            request.headers.add(name: "webhook-id", value: delivery.id)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            request.headers.add(name: "webhook-signature", value: signature)
            request.body = .bytes(ByteBuffer(string: delivery.body))
            do {
                let response = try await client.execute(request, timeout: .seconds(10))
                status = Int(response.status.code)
                // The body is not needed, but is read (a little of it) so the connection can be reused.
                _ = try? await response.body.collect(upTo: 64 << 10)
                if !(200..<300).contains(status!) { failure = "the endpoint answered \(response.status)" }
            } catch {
                failure = "\(error)"
            }
        } else {
            failure = "the endpoint's secret is not a whsec_ key"
        }
        let (store, schedule, answered, reason) = (self.store, self.schedule, status, failure)
        do {
            try await BlockingWork.run {
                try store.recordDeliveryTry(delivery.id, leaseUntil: delivery.leaseUntil, status: answered, error: reason, schedule: schedule, now: now)
            }
        } catch {
            logger.warning("webhooks: could not record a delivery; it will be tried again", metadata: ["delivery": "\(delivery.id)", "reason": "\(error)"])
        }
        if let failure {
            logger.notice("webhook not delivered; will retry", metadata: ["delivery": "\(delivery.id)", "event": "\(delivery.event)", "url": "\(endpoint.url)", "reason": "\(failure)"])
        }
    }
}
