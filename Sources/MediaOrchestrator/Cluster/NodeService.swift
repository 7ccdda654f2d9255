import Foundation
import Logging
import ServiceLifecycle

/// The node's life in the store, as a Service: registers the node, heartbeats every few
/// seconds, stands for leader each round (a leader row with an expiry, not an advisory lock: a
/// paused process stops renewing it and loses it), and, while it leads, runs the maintenance
/// that must happen once, not on every node. On a clean stop it steps down and says so.
public struct NodeService: Service {
    let name: String
    let store: JobStore
    let workers: Int
    let leadership: Leadership
    let interval: TimeInterval
    let logger: Logger

    public init(name: String, store: JobStore, workers: Int, leadership: Leadership, interval: TimeInterval = 1, logger: Logger) {
        self.name = name
        self.store = store
        self.workers = workers
        self.leadership = leadership
        self.interval = interval
        self.logger = logger
    }

    /// How long an elected leader leads without renewing.
    static let leaderTTL: TimeInterval = 15

    public func run() async throws {
        var registered = false, lastHeartbeat = Date.distantPast, lastPrune = Date(), failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let (name, store, workers) = (self.name, self.store, self.workers)
                if !registered {
                    try await BlockingWork.run { try store.registerNode(name, version: MediaOrchestratorVersion.current, workers: workers, pid: getpid()) }
                    registered = true
                    logger.info("node registered", metadata: ["node": "\(name)", "store": "\(store.displayName)"])
                }
                if Date().timeIntervalSince(lastHeartbeat) >= JobStore.nodeHeartbeat {
                    registered = try await BlockingWork.run { try store.heartbeatNode(name) }
                    lastHeartbeat = Date()
                }
                let leads = try await BlockingWork.run { try store.electLeader(name, ttl: Self.leaderTTL) }
                if leads != leadership.isLeader {
                    logger.notice(leads ? "this node now leads maintenance" : "this node no longer leads maintenance", metadata: ["node": "\(name)"])
                }
                leadership.set(leads)
                if leads { try await maintain(prune: Date().timeIntervalSince(lastPrune) >= 60) }
                if Date().timeIntervalSince(lastPrune) >= 60 { lastPrune = Date() }
                if failures > 0 { logger.notice("job store reachable again", metadata: ["node": "\(name)"]) }
                failures = 0
            } catch let error as OrchestratorError where error.kind == .conflict {
                throw error // another live process has this node's name: this one must not run
            } catch {
                // The store is down or unreachable: lead nothing (another node may take over),
                // and try again with backoff; workers stop claiming on their own errors.
                leadership.set(false)
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.error("job store unreachable; retrying", metadata: ["node": "\(name)", "reason": "\(error)"])
                }
            }
            let wait = failures == 0 ? interval : min(10, interval * Double(1 << min(failures, 4)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(wait)) }
        }
        leadership.set(false)
        let (name, store) = (self.name, self.store)
        do { try await BlockingWork.run { try store.stopNode(name) } } catch {
            logger.warning("could not record the node's stop", metadata: ["reason": "\(error)"])
        }
    }

    /// One round of the leader's work. Each step is safe if two nodes ever run it at once
    /// (row locks with SKIP LOCKED, or a condition the second run finds already met).
    private func maintain(prune: Bool) async throws {
        let store = self.store
        let (lost, rescued, promoted) = try await BlockingWork.run {
            (try store.markLostNodes(), try store.rescueExpiredLeases(), try store.promoteStarvedWork())
        }
        if !lost.isEmpty { logger.error("nodes stopped heartbeating: marked lost, their jobs rescued", metadata: ["nodes": "\(lost.joined(separator: ", "))"]) }
        if rescued > 0 {
            OrchestratorMetrics.recordRescue(kind: "lease", count: rescued)
            logger.warning("rescued jobs whose worker stopped renewing its lease", metadata: ["count": "\(rescued)"])
        }
        if promoted > 0 { logger.notice("editors' cuts waiting over 30 minutes promoted ahead of new replies", metadata: ["count": "\(promoted)"]) }
        if prune { _ = try await BlockingWork.run { (try store.pruneChanges(), try store.pruneIngestClaims()) } }
    }
}
