import Foundation
import Metrics
import Logging
import ServiceLifecycle

/// Watches the store for changed jobs and tells `JobActivity`, so a dashboard sees every state
/// change whoever made it: a worker here, the HTTP API, or `mediaorch jobs retry` in another
/// process. It also keeps the jobs-by-state gauges current.
public struct JobChangeFeedService: Service {
    let store: JobStore
    let activity: JobActivity
    let interval: TimeInterval
    let logger: Logger

    public init(store: JobStore, activity: JobActivity, interval: TimeInterval = 0.5, logger: Logger) {
        self.store = store
        self.activity = activity
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Start from now: a dashboard loads the current list itself, then follows the changes.
        var watermark = Date().timeIntervalSince1970
        var published: [String: Double] = [:]
        var requestWatermark = watermark
        var publishedRequests: [String: Double] = [:]
        var lastHeartbeat = Date()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Look back a little: two writers may stamp times out of commit order.
                let since = watermark - 2
                let store = self.store
                // SQLite may wait on a lock: read on the blocking-work pool, not the cooperative one.
                let requestsSince = requestWatermark - 2
                let (changed, changedRequests, counts, oldest) = try await BlockingWork.run {
                    (try store.changes(after: since), try store.requestChanges(after: requestsSince),
                     try store.countsByState(), try store.oldestWaitingReply())
                }
                for request in changedRequests where publishedRequests[request.id] != request.updatedAt {
                    publishedRequests[request.id] = request.updatedAt
                    requestWatermark = max(requestWatermark, request.updatedAt)
                    activity.changed(request)
                }
                for job in changed where published[job.id] != job.updatedAt {
                    published[job.id] = job.updatedAt
                    watermark = max(watermark, job.updatedAt)
                    activity.changed(job)
                }
                OrchestratorMetrics.recordQueue(counts)
                Gauge(label: "mediaorch_oldest_waiting_reply_seconds").record(oldest.map { max(0, Date().timeIntervalSince1970 - $0) } ?? 0)
                if Date().timeIntervalSince(lastHeartbeat) >= 15 {
                    activity.heartbeat()
                    lastHeartbeat = Date()
                }
            } catch {
                logger.warning("change feed: store unavailable; trying again", metadata: ["reason": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }
}
