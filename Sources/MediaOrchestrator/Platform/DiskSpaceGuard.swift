import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Free space on the workspace's filesystem as a state of the service. Below the floor, workers
/// stop claiming and release (not fail) what they are rendering, uploads are refused with 507,
/// and /health, the dashboard and /metrics say so; above it again, all resumes by itself. A full
/// disk then costs waiting time, never a job's tries.
///
/// The same holds when the workspace cannot be reached at all (a shared workspace whose mount
/// was lost: its marker file is gone, or the filesystem does not answer): the node holds off
/// rather than claim jobs it could only fail.
public final class DiskSpaceGuard: Sendable {
    public let path: String
    /// Below this many free bytes the service holds off.
    public let floorBytes: Int64
    /// A file that is there whenever the workspace is (Workspace.marker); nil: not checked.
    public let marker: String?
    private let state = Mutex<(free: Int64, low: Bool, unreachable: Bool)>((Int64.max, false, false))

    public init(path: String, floorBytes: Int64, marker: String? = nil) {
        self.path = path
        self.floorBytes = floorBytes
        self.marker = marker
        _ = check()
    }

    /// Hold off: too little space, or no workspace at all.
    public var isLowOrUnreachable: Bool { state.withLock { $0.low || $0.unreachable } }
    /// The workspace itself cannot be reached (its marker gone, its filesystem silent).
    public var isUnreachable: Bool { state.withLock { $0.unreachable } }
    public var freeBytes: Int64 { state.withLock { $0.free } }

    /// Reads the filesystem now; returns whether the state changed (holding off ↔ fine).
    @discardableResult
    public func check() -> Bool {
        var stats = statvfs()
        let answered = statvfs(path, &stats) == 0
        let reachable = answered && (marker.map { access($0, R_OK) == 0 } ?? true)
        let free = answered ? Int64(stats.f_bavail) * Int64(stats.f_frsize) : freeBytes
        return state.withLock { current in
            let before = current.low || current.unreachable
            current = (free, free < floorBytes, !reachable)
            return before != (current.low || current.unreachable)
        }
    }

    /// The filesystem did not answer in time (a hung network mount): hold off until it does.
    @discardableResult
    public func markUnreachable() -> Bool {
        state.withLock { current in
            let before = current.low || current.unreachable
            current.unreachable = true
            return !before
        }
    }

    /// For messages: "1.2 GB free, below the 2.0 GB floor", or why the workspace is unreachable.
    public var summary: String {
        if isUnreachable {
            return "the workspace \(path) cannot be reached (its marker \(marker.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "") is gone or the filesystem does not answer: a lost mount?)"
        }
        let gb = { (bytes: Int64) in String(format: "%.1f GB", Double(bytes) / 1e9) }
        return "\(gb(freeBytes)) free on \(path), " + (isLowOrUnreachable ? "below" : "above") + " the \(gb(floorBytes)) floor"
    }
}

/// One filesystem check at a time on a thread of its own, abandoned (not waited for) after a timeout.
final class StuckCheck: Sendable {
    private let running = Mutex(false)

    /// `work`'s answer, or nil when it took longer than `timeout` seconds or an earlier one is still stuck.
    func run(timeout: TimeInterval, _ work: @escaping @Sendable () -> Bool) async -> Bool? {
        guard running.withLock({ busy in defer { busy = true }; return !busy }) else { return nil }
        let answer = Once()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool?, Never>) in
            Thread {
                let result = work()
                self.running.withLock { $0 = false }
                if answer.first() { continuation.resume(returning: result) }
            }.start()
            Task {
                try? await Task.sleep(for: .seconds(timeout))
                if answer.first() { continuation.resume(returning: nil) }
            }
        }
    }

    /// True for the first caller only.
    private final class Once: Sendable {
        private let done = Mutex(false)
        func first() -> Bool { done.withLock { done in defer { done = true }; return !done } }
    }
}

/// Checks the disk every few seconds, logs each change of state, and keeps the gauges current.
public struct DiskSpaceService: Service {
    let guardian: DiskSpaceGuard
    let interval: TimeInterval
    let logger: Logger

    public init(guardian: DiskSpaceGuard, interval: TimeInterval = 1, logger: Logger) {
        self.guardian = guardian
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let guardian = self.guardian
        let stuck = StuckCheck()
        await periodically(every: interval) {
            // On a thread of its own, given 10 s: a hung network mount blocks that thread, not
            // this loop; while it stays stuck no other check is started, and the node holds off.
            let changed = await stuck.run(timeout: 10) { guardian.check() } ?? guardian.markUnreachable()
            if changed {
                if guardian.isUnreachable {
                    logger.error("workspace unreachable: not claiming jobs, releasing running ones, refusing uploads until it is back",
                                 metadata: ["disk": "\(guardian.summary)"])
                } else if guardian.isLowOrUnreachable {
                    logger.error("disk space low: not claiming jobs, releasing running ones, refusing uploads until space returns",
                                 metadata: ["disk": "\(guardian.summary)"])
                } else {
                    logger.notice("disk space and workspace are back: resuming", metadata: ["disk": "\(guardian.summary)"])
                }
            }
            Gauge(label: "mediaorch_disk_free_bytes").record(guardian.freeBytes)
            Gauge(label: "mediaorch_disk_low").record(guardian.isLowOrUnreachable ? 1 : 0)
        }
    }
}
