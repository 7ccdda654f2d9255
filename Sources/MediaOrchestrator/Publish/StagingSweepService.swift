import Foundation
import Logging
import ServiceLifecycle

/// Every minute, removes the staging folders no attempt will use again (see Publisher.sweepStaging),
/// so a long-running service does not wait for its next restart to get the space back.
public struct StagingSweepService: Service {
    let publisher: Publisher
    let interval: TimeInterval
    let logger: Logger

    public init(publisher: Publisher, interval: TimeInterval = 60, logger: Logger) {
        self.publisher = publisher
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Start-up reconciliation swept already: the first round waits one interval.
        await periodically(every: interval, waitFirst: true) {
            do {
                let removed = try await BlockingWork.run { [publisher] in try publisher.sweepStaging() }
                if removed > 0 { logger.info("removed staging folders no attempt will use again", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.warning("staging sweep: store unavailable; trying again later", metadata: ["reason": "\(error)"])
            }
        }
    }
}
