import Foundation

/// One `watch` process as the store knows it.
public struct NodeRecord: Sendable, Codable, Equatable {
    public var name: String
    public var version: String
    public var workers: Int
    public var pid: Int
    public var host: String
    public var startedAt: Double
    public var heartbeatAt: Double
    /// Set when it stopped cleanly (SIGTERM); cleared when it starts again.
    public var stoppedAt: Double?
    /// Set by the leader when its heartbeat lapsed; cleared by its next heartbeat.
    public var lostAt: Double?

    enum CodingKeys: String, CodingKey {
        case name, version, workers, pid, host, startedAt = "started_at", heartbeatAt = "heartbeat_at"
        case stoppedAt = "stopped_at", lostAt = "lost_at"
    }
}

/// What `mediaorch nodes` and the dashboard show about a node.
public struct NodeStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case up, stopped, lost }
    public var name: String
    public var state: State
    public var version: String
    public var workers: Int
    public var pid: Int
    public var host: String
    public var startedAt: Double
    public var heartbeatAt: Double
    /// Seconds since its last heartbeat, on the database's clock.
    public var heartbeatAge: Double
    public var leader: Bool
    /// The jobs its workers hold now.
    public var jobs: [String]
}

/// A node's name: how workers' leases, the leader row and `mediaorch nodes` name it.
public enum NodeName {
    /// Letters, digits, `.`, `_` and `-`, at most 64: it goes into worker names (`NODE:PID:N`).
    public static func validated(_ name: String) throws -> String {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw OrchestratorError(subject: "--node", "\(name) is not a node name (letters, digits, . _ -, at most 64)")
        }
        return name
    }

    /// The host's name, made fit.
    public static var host: String {
        let cleaned = String(ProcessInfo.processInfo.hostName.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(64))
        return cleaned.isEmpty ? "node" : cleaned
    }

    /// The name each worker of `node` claims jobs under: unique per process, so a restarted node
    /// never owns the leases of its earlier life.
    public static func worker(node: String, pid: Int32, number: Int) -> String { "\(node):\(pid):\(number)" }
}
