import Foundation
import Logging

extension Publisher {
    /// What publishing an attempt came to.
    enum PublishResult: Sendable {
        /// Committed in the store and (after retries, else at start-up) moved into outbox/.
        case published
        /// The fence refused it: cancelled, superseded or its lease lapsed meanwhile. Its outputs
        /// are discarded; the job is someone else's now.
        case fencedOff
        /// It cannot be published here and now (the outbox cannot take it, the copy from the
        /// node's own disk failed): a failed try, not a lost one.
        case notPublishable(reason: String)
    }

    /// The one way an attempt's outputs become its job's: the outbox is checked, a locally
    /// rendered folder brought into the shared staging/, then one fenced commit in the store
    /// (which also queues the reply's editors' cut, `editorsCut`), then one rename into outbox/.
    /// A store error is retried (the fence makes a repeat harmless); nil from the store write
    /// means the task was cancelled, which the lease's lapse then resolves.
    func publish(claim: JobClaim, manifestSha256: String, editorsCut: JobStore.NewJob?, logger: Logger) async -> PublishResult {
        do {
            try await BlockingWork.run { [self] in
                try checkOutboxCanTakeIt(jobId: claim.job.id)
                try bringToWorkspace(jobId: claim.job.id, attempt: claim.attempt)
            }
        } catch {
            return .notPublishable(reason: "\(error)")
        }
        FailPoint.publishBeforeCommit.reached()
        let committed = await retryingStoreErrors(logger) { [store] in try store.publish(claim, manifestSha256: manifestSha256, editorsCut: editorsCut) }
        guard committed == true else {
            _ = try? await BlockingWork.run { [self] in discardStaging(jobId: claim.job.id, attempt: claim.attempt) }
            return .fencedOff
        }
        FailPoint.publishAfterCommit.reached()
        await moveIntoOutboxRetrying(claim, logger: logger)
        return .published
    }

    /// After the commit: the rename into outbox/, tried a few times (a busy network share); if it
    /// still fails, start-up reconciliation finishes it from the committed hash.
    private func moveIntoOutboxRetrying(_ claim: JobClaim, logger: Logger) async {
        for attempt in 1...5 {
            do {
                try await BlockingWork.run { [self] in try moveIntoOutbox(jobId: claim.job.id, attempt: claim.attempt) }
                return
            } catch {
                logger.error("published in the store, but the rename into outbox/ failed", metadata: ["reason": "\(error)", "try": "\(attempt)"])
                try? await Task.sleep(for: .seconds(Double(attempt)))
            }
        }
    }
}

/// Repeats a store write until it goes through (a locked or briefly unreachable store), with
/// backoff; nil only when the task is cancelled first (the lease then lapses and is rescued).
func retryingStoreErrors<T: Sendable>(_ logger: Logger, _ write: @escaping @Sendable () throws -> T) async -> T? {
    var delay = 0.25
    while true {
        do { return try await BlockingWork.run { try write() } } catch {
            logger.error("job store error while recording the outcome; retrying", metadata: ["reason": "\(error)", "in_seconds": "\(delay)"])
        }
        if Task.isCancelled { return nil }
        try? await Task.sleep(for: .seconds(delay))
        delay = min(delay * 2, 10)
    }
}
