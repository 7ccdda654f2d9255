import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Sends the webhook outbox: every second, the deliveries that are due go out as signed POSTs.
/// Each endpoint has a lane of its own (its deliveries one after another, in order), and the
/// lanes run side by side: a receiver that is slow, down, or answers and then trickles its body
/// holds back only itself. Every try has one deadline for connecting, the answer's head and its
/// body together. A 2xx marks a delivery delivered, anything else schedules a retry. It runs
/// beside the workers and never holds up a job: the triggers only add rows.
public struct WebhookDeliveryService: Service {
    let store: JobStore
    let schedule: WebhookRetrySchedule
    let interval: TimeInterval
    /// One try's whole time: connect, headers and body.
    let deadline: Duration
    /// Only the leader sends (nil: this process is the only one on its store). Two senders at
    /// once would still not send a delivery twice: each takes its deliveries under a lease.
    let leadership: Leadership?
    let logger: Logger
    /// Endpoints with a lane running now.
    private let busy = BusyEndpoints()

    public init(store: JobStore, schedule: WebhookRetrySchedule = WebhookRetrySchedule(), interval: TimeInterval = 1,
                deadline: Duration = .seconds(10), leadership: Leadership? = nil, logger: Logger) {
        self.store = store
        self.leadership = leadership
        self.schedule = schedule
        self.interval = interval
        self.deadline = deadline
        self.logger = logger
    }

    public func run() async throws {
        let client = Self.makeClient()
        await withDiscardingTaskGroup { lanes in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                do {
                    if leadership?.isLeader ?? true {
                        for lane in try await claimLanes(now: nil) { lanes.addTask { await run(lane, client: client, now: nil) } }
                    }
                } catch {
                    logger.warning("webhooks: store unavailable; trying again", metadata: ["reason": "\(error)"])
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
            }
            // Tries under way are cut off; their leases lapse and they are sent again later.
            lanes.cancelAll()
        }
        try await client.shutdown()
    }

    static func makeClient() -> HTTPClient {
        // A webhook is answered, not followed elsewhere: no redirects.
        HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                   configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))
    }

    /// Sends what is due now and waits for it; returns how many tries were made (tests, and
    /// `run`'s rounds go the same way without waiting).
    func deliverDue(client: HTTPClient, now: Date? = nil) async throws -> Int {
        let lanes = try await claimLanes(now: now)
        await withDiscardingTaskGroup { group in
            for lane in lanes { group.addTask { await run(lane, client: client, now: now) } }
        }
        return lanes.reduce(0) { $0 + $1.deliveries.count }
    }

    struct Lane: Sendable {
        let endpoint: WebhookEndpoint
        let deliveries: [WebhookDelivery]
    }

    /// The due deliveries of every endpoint without a lane running, one lane per endpoint, each
    /// endpoint marked busy until its lane ends.
    private func claimLanes(now: Date?) async throws -> [Lane] {
        let (store, skipping) = (self.store, busy.current())
        let due = try await BlockingWork.run { try store.claimDueDeliveries(now: now, skipping: skipping) }
        var order: [String] = [], byEndpoint: [String: Lane] = [:]
        for (delivery, endpoint) in due {
            if let lane = byEndpoint[endpoint.id] {
                byEndpoint[endpoint.id] = Lane(endpoint: endpoint, deliveries: lane.deliveries + [delivery])
            } else {
                order.append(endpoint.id)
                byEndpoint[endpoint.id] = Lane(endpoint: endpoint, deliveries: [delivery])
            }
        }
        let lanes = order.compactMap { byEndpoint[$0] }
        busy.insert(lanes.map(\.endpoint.id))
        return lanes
    }

    private func run(_ lane: Lane, client: HTTPClient, now: Date?) async {
        defer { busy.remove(lane.endpoint.id) }
        for delivery in lane.deliveries where !Task.isCancelled {
            await send(delivery, to: lane.endpoint, client: client, now: now)
        }
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
            let prepared = request
            do {
                status = try await Self.withDeadline(deadline) {
                    let response = try await client.execute(prepared, timeout: .seconds(10))
                    // The body is not needed, but is read (a little of it) so the connection can be reused.
                    _ = try await response.body.collect(upTo: 64 << 10)
                    return Int(response.status.code)
                }
                if let code = status, !(200..<300).contains(code) { failure = "the endpoint answered \(code)" }
            } catch is DeadlinePassed {
                status = nil
                failure = "no whole answer within \(deadline) (connecting, the answer's head and its body together)"
            } catch {
                if status == nil { failure = "\(error)" }
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

    struct DeadlinePassed: Error {}

    /// `body`'s result, or DeadlinePassed once `limit` has passed (the body is cancelled).
    static func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { try await Task.sleep(for: limit); return nil }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw DeadlinePassed() }
            return value
        }
    }
}

/// The endpoints whose lane is running, shared by the rounds and the lanes.
final class BusyEndpoints: Sendable {
    private let ids = Mutex(Set<String>())
    func current() -> Set<String> { ids.withLock { $0 } }
    func insert(_ new: [String]) { ids.withLock { $0.formUnion(new) } }
    func remove(_ id: String) { _ = ids.withLock { $0.remove(id) } }
}
