import Foundation
import Logging
import ServiceLifecycle

/// Every half minute, ends the requests whose deadline passed before a clip arrived: a reply
/// that comes too late is worthless, and the camp's list should not keep showing it.
public struct RequestDeadlineService: Service {
    let store: JobStore
    let interval: TimeInterval
    /// Only the leader expires requests (nil: this process is the only one).
    let leadership: Leadership?
    let logger: Logger

    public init(store: JobStore, interval: TimeInterval = 30, leadership: Leadership? = nil, logger: Logger) {
        self.store = store
        self.leadership = leadership
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await periodically(every: interval) {
            if leadership?.isLeader ?? true { await expireOverdue() }
        }
    }

    private func expireOverdue() async {
            do {
                let expired = try await BlockingWork.run { [store] in try store.expireOverdueRequests() }
                if expired > 0 { logger.notice("requests past their deadline expired", metadata: ["count": "\(expired)"]) }
            } catch {
                logger.warning("request deadlines: store unavailable; trying again later", metadata: ["reason": "\(error)"])
            }
    }
}
