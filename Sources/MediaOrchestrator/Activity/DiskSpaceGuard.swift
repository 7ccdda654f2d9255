import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Free space on the workspace's filesystem as a state of the service. Below the floor, workers
/// stop claiming and release (not fail) what they are rendering, uploads are refused with 507,
/// and /health, the dashboard and /metrics say so; above it again, all resumes by itself. A full
/// disk then costs waiting time, never a job's tries.
public final class DiskSpaceGuard: Sendable {
    public let path: String
    /// Below this many free bytes the service holds off.
    public let floorBytes: Int64
    private let state = Mutex<(free: Int64, low: Bool)>((Int64.max, false))

    public init(path: String, floorBytes: Int64) {
        self.path = path
        self.floorBytes = floorBytes
        _ = check()
    }

    public var isLow: Bool { state.withLock { $0.low } }
    public var freeBytes: Int64 { state.withLock { $0.free } }

    /// Reads the filesystem now; returns whether the state changed (low ↔ fine).
    @discardableResult
    public func check() -> Bool {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return false }
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        return state.withLock { current in
            let low = free < floorBytes
            let changed = low != current.low
            current = (free, low)
            return changed
        }
    }

    /// For messages: "1.2 GB free, below the 2.0 GB floor".
    public var summary: String {
        let gb = { (bytes: Int64) in String(format: "%.1f GB", Double(bytes) / 1e9) }
        return "\(gb(freeBytes)) free on \(path), " + (isLow ? "below" : "above") + " the \(gb(floorBytes)) floor"
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
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if guardian.check() {
                if guardian.isLow {
                    logger.error("disk space low: not claiming jobs, releasing running ones, refusing uploads until space returns",
                                 metadata: ["disk": "\(guardian.summary)"])
                } else {
                    logger.notice("disk space is back: resuming", metadata: ["disk": "\(guardian.summary)"])
                }
            }
            Gauge(label: "mediaorch_disk_free_bytes").record(guardian.freeBytes)
            Gauge(label: "mediaorch_disk_low").record(guardian.isLow ? 1 : 0)
            try? await Task.sleep(for: .seconds(interval))
        }
    }
}
