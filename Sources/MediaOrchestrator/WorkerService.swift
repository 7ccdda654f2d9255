import Foundation
import Logging
import ServiceLifecycle

/// A worker, as a Service: rescues lapsed leases, claims the most urgent due job, runs it, records
/// the outcome (fenced), and repeats. On graceful shutdown (SIGTERM) it stops claiming; a running
/// job gets `grace` seconds to finish, then is released for another worker.
public struct WorkerService: Service {
    let name: String
    let runner: JobRunner
    let store: JobStore
    let lease: TimeInterval
    let grace: TimeInterval
    let idlePoll: TimeInterval
    let logger: Logger

    public init(name: String, workspace: Workspace, store: JobStore, templates: TemplateLibrary,
                lease: TimeInterval = 30, grace: TimeInterval = 60, idlePoll: TimeInterval = 0.1,
                activity: JobActivity? = nil, logger: Logger) {
        self.name = name
        self.runner = JobRunner(workspace: workspace, store: store, templates: templates, lease: lease, activity: activity)
        self.store = store
        self.lease = lease
        self.grace = grace
        self.idlePoll = idlePoll
        var logger = logger
        logger[metadataKey: "worker"] = "\(name)"
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A store that is briefly unavailable (locked, disk full) must not end the service:
            // log it, wait, try again. A job whose outcome could not be written is rescued when
            // its lease lapses.
            do {
                _ = try store.rescueExpiredLeases()
                guard let claim = try store.claim(worker: name, lease: lease) else {
                    try? await Task.sleep(for: .seconds(idlePoll))
                    continue
                }
                let outcome = await runWithGrace(claim)
                if try !store.finish(claim, outcome) {
                    logger.warning("outcome not recorded: the job was rescued, re-claimed or cancelled meanwhile", metadata: ["job": "\(claim.job.id)"])
                }
            } catch {
                logger.error("job store error; retrying in 1 s", metadata: ["reason": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs the job; if shutdown comes and the job outlives the grace period, releases it.
    private func runWithGrace(_ claim: JobClaim) async -> JobStore.Outcome {
        await withTaskGroup(of: JobStore.Outcome?.self) { group in
            group.addTask { await runner.run(claim, logger: logger) }
            group.addTask {
                // Sleeps until shutdown begins (or the job ends and this task is cancelled).
                try? await gracefulShutdown()
                if Task.isCancelled { return nil }
                try? await Task.sleep(for: .seconds(grace))
                return Task.isCancelled ? nil : .released
            }
            var result: JobStore.Outcome = .released
            for await outcome in group {
                if let outcome { result = outcome; group.cancelAll(); break }
            }
            return result
        }
    }
}
