import Foundation
import Logging
import ServiceLifecycle

/// A worker, as a Service: claims the most urgent due job (or waits for a wake-up), runs it, records
/// the outcome (fenced), and repeats. On graceful shutdown (SIGTERM) it stops claiming; a running
/// job gets `grace` seconds to finish, then is released for another worker.
public struct WorkerService: Service {
    let name: String
    let runner: AttemptRunner
    let store: JobStore
    let lease: TimeInterval
    let grace: TimeInterval
    let idlePoll: TimeInterval
    /// Wakes an idle worker when a job may have become claimable (NOTIFY from any node).
    let wakeups: StoreWakeups?
    let disk: DiskSpaceGuard?
    let logger: Logger

    /// How a worker's render children are run.
    public struct RenderLimits: Sendable {
        /// The binary re-executed as `mediaorch render-attempt` (this process's own).
        public var executable: String
        /// Seconds without progress before a render is called hung and stopped.
        public var stallSeconds: TimeInterval = 300
        /// The render child's memory cap, MiB (nil: none).
        public var memoryMB: Int?

        public init(executable: String = RenderLimits.currentExecutable, stallSeconds: TimeInterval = 300, memoryMB: Int? = nil) {
            self.executable = executable
            self.stallSeconds = stallSeconds
            self.memoryMB = memoryMB
        }

        /// This process's own image: /proc/self/exe still runs it after an upgrade replaced the
        /// file, so a child always speaks its parent's assignment format.
        public static var currentExecutable: String { // blocking: read once at start-up, before any request
            FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
        }
    }

    public init(name: String, workspace: Workspace, store: JobStore, templates: TemplateLibrary, render: RenderLimits,
                lease: TimeInterval = 30, grace: TimeInterval = 60, idlePoll: TimeInterval = 0.1,
                activity: JobActivity? = nil, disk: DiskSpaceGuard? = nil, wakeups: StoreWakeups? = nil, localStaging: URL? = nil,
                logger: Logger) {
        var logger = logger
        logger[metadataKey: "worker"] = "\(name)"
        self.name = name
        self.runner = AttemptRunner(workspace: workspace, store: store, templates: templates,
                                    publisher: Publisher(workspace: workspace, store: store, localStaging: localStaging, logger: logger),
                                    renderChild: RenderChildSupervisor(executable: render.executable, stallTimeout: render.stallSeconds),
                                    lease: lease, memoryCapMegabytes: render.memoryMB, activity: activity, disk: disk)
        self.store = store
        self.lease = lease
        self.grace = grace
        self.idlePoll = idlePoll
        self.disk = disk
        self.wakeups = wakeups
        self.logger = logger
    }

    public func run() async throws {
        var storeFailures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A store that is briefly unavailable (locked, disk full) must not end the service:
            // log it, wait, try again. A job whose outcome could not be written is rescued when
            // its lease lapses.
            if let disk, disk.isLowOrUnreachable { // no new work until space returns (DiskSpaceService says so in the log)
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            do {
                // Lapsed leases are rescued by the leader (NodeService), once for every node.
                let claim: JobClaim? = try await BlockingWork.run { [store, name, lease] in
                    try store.claim(worker: name, lease: lease)
                }
                storeFailures = 0
                guard let claim else {
                    if let wakeups { await wakeups.wait(upTo: idlePoll) } else { try? await Task.sleep(for: .seconds(idlePoll)) }
                    continue
                }
                await runWithGrace(claim)
            } catch {
                // Unreachable or failing store: claim nothing, back off up to 10 s, never give up.
                storeFailures += 1
                if storeFailures == 1 || storeFailures % 30 == 0 {
                    logger.error("job store error; not claiming until it answers", metadata: ["reason": "\(error)", "tries": "\(storeFailures)"])
                }
                try? await Task.sleep(for: .seconds(min(10, 0.5 * Double(1 << min(storeFailures, 5)))))
            }
        }
    }

    /// Runs the attempt; if shutdown comes and it outlives the grace period, its render is
    /// stopped and the job released for another worker.
    private func runWithGrace(_ claim: JobClaim) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await runner.run(claim, logger: logger) }
            group.addTask {
                // Returns when shutdown begins, or at once (throwing) when cancelled.
                do { try await gracefulShutdown() } catch { return }
                try? await Task.sleep(for: .seconds(grace))
            }
            await group.next()
            group.cancelAll()
        }
    }
}
