import Foundation
import Metrics
import Logging
import ServiceLifecycle

/// Follows the store's change table and tells `JobActivity`, so a dashboard on any node sees
/// every change whoever made it: a worker on this node or another, the HTTP API, or `mediaorch
/// jobs retry` in another process. Changes are read by sequence number, not by wall-clock time;
/// on PostgreSQL numbers are taken before commit, so a later number can commit first: the feed
/// re-reads a trailing window and sends each number once. It also keeps the queue gauges current.
public struct JobChangeFeedService: Service {
    let store: JobStore
    let activity: JobActivity
    let interval: TimeInterval
    let wakeups: StoreWakeups?
    let logger: Logger
    /// How far back a late commit is still caught.
    static let lookBack = 500

    public init(store: JobStore, activity: JobActivity, interval: TimeInterval = 0.5, wakeups: StoreWakeups? = nil, logger: Logger) {
        self.store = store
        self.activity = activity
        self.interval = interval
        self.wakeups = wakeups
        self.logger = logger
    }

    public func run() async throws {
        let store = self.store
        // Start from now: a dashboard loads the current list itself, then follows the changes.
        var watermark: Int? = nil
        var sent = Set<Int>()
        var lastHeartbeat = Date(), lastGauges = Date.distantPast
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if watermark == nil { watermark = try await BlockingWork.run { try store.latestChangeSeq() } }
                let from = max(0, watermark! - Self.lookBack), already = sent
                let (changes, records) = try await BlockingWork.run {
                    let changes = try store.changes(afterSeq: from).filter { !already.contains($0.seq) }
                    return (changes, try store.changedRecords(changes))
                }
                for change in changes {
                    sent.insert(change.seq)
                    watermark = max(watermark!, change.seq)
                }
                sent = sent.filter { $0 > watermark! - Self.lookBack }
                for request in records.requests { activity.changed(request) }
                for job in records.jobs.sorted(by: { $0.updatedAt < $1.updatedAt }) { activity.changed(job) }
                if Date().timeIntervalSince(lastGauges) >= 1 {
                    let (counts, oldest) = try await BlockingWork.run { (try store.countsByState(), try store.oldestWaitingReply()) }
                    OrchestratorMetrics.recordQueue(counts)
                    Gauge(label: "mediaorch_oldest_waiting_reply_seconds").record(oldest.map { max(0, Date().timeIntervalSince1970 - $0) } ?? 0)
                    lastGauges = Date()
                }
                if Date().timeIntervalSince(lastHeartbeat) >= 15 {
                    activity.heartbeat()
                    lastHeartbeat = Date()
                }
            } catch {
                logger.warning("change feed: store unavailable; trying again", metadata: ["reason": "\(error)"])
            }
            if let wakeups { await wakeups.wait(upTo: interval) } else { try? await Task.sleep(for: .seconds(interval)) }
        }
    }
}
