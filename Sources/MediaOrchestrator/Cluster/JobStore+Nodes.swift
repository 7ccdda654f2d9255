import Foundation

extension JobStore {
    /// A node heartbeats this often; one silent for `lostAfter` is lost.
    public static let nodeHeartbeat: TimeInterval = 5
    public static let nodeLostAfter: TimeInterval = 30

    /// A `watch` process starting as `name` (again, after a restart: the row is its own). Refused
    /// while another live process holds the name (on another host, or a running process here):
    /// two nodes of one name would both lead and both ingest.
    public func registerNode(_ name: String, version: String, workers: Int, pid: Int32, host: String = ProcessInfo.processInfo.hostName) throws {
        try database.write { tx in
            let t = try tx.clock(nil)
            if let other = try tx.record(NodeRecord.self, "SELECT * FROM nodes WHERE name = ?\(tx.dialect.forUpdate)", [name]),
               other.stoppedAt == nil, other.lostAt == nil, t - other.heartbeatAt < Self.nodeLostAfter,
               other.host != host || (other.pid != Int(pid) && Self.isAlive(pid: other.pid)) {
                throw OrchestratorError(subject: "--node \(name)", "is running on \(other.host) (pid \(other.pid), heartbeat \(Int(t - other.heartbeatAt)) s ago): "
                                        + "give this process a name of its own", kind: .conflict)
            }
            try tx.execute("""
                INSERT INTO nodes (name, version, workers, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET version = excluded.version, workers = excluded.workers, pid = excluded.pid, host = excluded.host,
                    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, lost_at = NULL
                """, [name, version, workers, Int(pid), host, t, t])
        }
    }

    /// Whether a process of this host is running (an earlier life of a restarted node is not).
    static func isAlive(pid: Int) -> Bool {
        guard pid > 0, pid <= Int(Int32.max) else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    /// Says the node is alive; false when its row is gone (it registers again).
    public func heartbeatNode(_ name: String) throws -> Bool {
        try database.write { tx in
            try tx.execute("UPDATE nodes SET heartbeat_at = ?, lost_at = NULL WHERE name = ?", [try tx.clock(nil), name]) == 1
        }
    }

    /// A clean stop: the node gives up leadership at once, so another need not wait for it to lapse.
    public func stopNode(_ name: String) throws {
        try database.write { tx in
            let t = try tx.clock(nil)
            try tx.execute("UPDATE nodes SET stopped_at = ? WHERE name = ?", [t, name])
            try tx.execute("DELETE FROM leader WHERE node = ?", [name])
        }
    }

    /// Becomes or stays the leader for `ttl` seconds; true when this node leads. The row changes
    /// only for its holder or once it lapsed, so of two nodes asking at once one wins; the term
    /// counts changes of leader.
    public func electLeader(_ node: String, ttl: TimeInterval) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(nil)
            return try tx.execute("""
                INSERT INTO leader (id, node, term, elected_at, expires_at) VALUES (1, ?, 1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    term = CASE WHEN leader.node = excluded.node THEN leader.term ELSE leader.term + 1 END,
                    elected_at = CASE WHEN leader.node = excluded.node THEN leader.elected_at ELSE excluded.elected_at END,
                    node = excluded.node, expires_at = excluded.expires_at
                WHERE leader.node = excluded.node OR leader.expires_at < excluded.elected_at
                """, [node, t, t + ttl]) == 1
        }
    }

    /// The node that leads now and its term, if its lease is live.
    public func leader() throws -> (node: String, term: Int)? {
        try database.read { tx in
            guard let row = try tx.row("SELECT node, term FROM leader WHERE id = 1 AND expires_at >= ?", [try tx.clock(nil)]),
                  let node = row.string("node"), let term = row.int("term") else { return nil }
            return (node, term)
        }
    }

    /// The leader's round: nodes silent past `lostAfter` are marked lost and the leases of their
    /// workers end now, so their jobs are rescued at once rather than when each lease lapses.
    /// Returns the names newly marked lost.
    @discardableResult
    public func markLostNodes(lostAfter: TimeInterval = JobStore.nodeLostAfter) throws -> [String] {
        try database.write { tx in
            let t = try tx.clock(nil)
            let lost = try tx.rows("""
                SELECT name FROM nodes WHERE stopped_at IS NULL AND lost_at IS NULL AND heartbeat_at < ?\(tx.dialect.forUpdateSkipLocked)
                """, [t - lostAfter]).compactMap { $0.string("name") }
            for name in lost {
                try tx.execute("UPDATE nodes SET lost_at = ? WHERE name = ?", [t, name])
                let owner = name + ":" // worker names are NODE:PID:N
                try tx.execute("UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND substr(lease_owner, 1, CAST(? AS INTEGER)) = ?",
                               [t - 1, owner.count, owner])
            }
            return lost
        }
    }

    /// Every node, up ones first, with the jobs it holds.
    public func nodes() throws -> [NodeStatus] {
        try database.read { tx in
            let t = try tx.clock(nil)
            let records = try tx.records(NodeRecord.self, "SELECT * FROM nodes ORDER BY name")
            let leader = try tx.row("SELECT node FROM leader WHERE id = 1 AND expires_at >= ?", [t])?.string("node")
            let running = try tx.rows("SELECT id, lease_owner FROM jobs WHERE state = 'running' ORDER BY id", [])
            return records.map { node in
                let age = max(0, t - node.heartbeatAt)
                let state: NodeStatus.State = node.stoppedAt != nil ? .stopped : (node.lostAt != nil || age > Self.nodeLostAfter) ? .lost : .up
                let jobs = running.filter { $0.string("lease_owner")?.hasPrefix(node.name + ":") == true }.compactMap { $0.string("id") }
                return NodeStatus(name: node.name, state: state, version: node.version, workers: node.workers, pid: node.pid, host: node.host,
                                  startedAt: node.startedAt, heartbeatAt: node.heartbeatAt, heartbeatAge: age,
                                  leader: node.name == leader, jobs: jobs)
            }.sorted { ($0.state == .up ? 0 : 1, $0.name) < ($1.state == .up ? 0 : 1, $1.name) }
        }
    }
}
