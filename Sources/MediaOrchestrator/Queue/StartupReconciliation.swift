import Foundation
import Logging

/// What `mediaorch watch` does before it starts watching: finishes whatever a crash cut short, so
/// every clip in archive/ has a job, every committed publish is in outbox/, and no attempt's
/// leftovers linger in staging/. Safe to run while another process works on the same workspace.
public struct StartupReconciliation: Sendable {
    let ingestor: Ingestor
    let publisher: Publisher
    let logger: Logger

    public init(ingestor: Ingestor, publisher: Publisher, logger: Logger) {
        self.ingestor = ingestor
        self.publisher = publisher
        self.logger = logger
    }

    public func run() throws {
        let ingests = try ingestor.recover()
        let publishes = try publisher.recover()
        OrchestratorMetrics.recordRescue(kind: "ingest", count: ingests.finished)
        OrchestratorMetrics.recordRescue(kind: "orphaned_clip", count: ingests.adopted)
        OrchestratorMetrics.recordRescue(kind: "publish", count: publishes.finished)
        if ingests.finished + ingests.dropped + ingests.adopted + publishes.finished + publishes.removed > 0 {
            logger.warning("reconciled the workspace after an unclean stop", metadata: [
                "ingests_finished": "\(ingests.finished)", "ingests_dropped": "\(ingests.dropped)", "clips_adopted": "\(ingests.adopted)",
                "publishes_finished": "\(publishes.finished)", "staging_removed": "\(publishes.removed)"])
        }
    }
}
