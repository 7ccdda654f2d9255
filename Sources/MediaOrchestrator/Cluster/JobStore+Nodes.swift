import Foundation

/// The nodes of a cluster and its leader. The SQL is Store/SQL/nodes.sql.
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
            if let other = try tx.record(NodeRecord.self, SQLCatalogue.nodes.sql("node-for-update", tx.dialect), [name]),
               other.stoppedAt == nil, other.lostAt == nil, t - other.heartbeatAt < Self.nodeLostAfter,
               other.host != host || (other.pid != Int(pid) && Self.isAlive(pid: other.pid)) {
                throw OrchestratorError(subject: "--node \(name)", "is running on \(other.host) (pid \(other.pid), heartbeat \(Int(t - other.heartbeatAt)) s ago): "
                                        + "give this process a name of its own", kind: .conflict)
            }
            try tx.execute(SQLCatalogue.nodes.sql("register-node", tx.dialect), [name, version, workers, Int(pid), host, t, t])
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
            try tx.execute(SQLCatalogue.nodes.sql("heartbeat-node", tx.dialect), [try tx.clock(nil), name]) == 1
        }
    }

    /// A clean stop: the node gives up leadership at once, so another need not wait for it to lapse.
    public func stopNode(_ name: String) throws {
        try database.write { tx in
            let t = try tx.clock(nil)
            try tx.execute(SQLCatalogue.nodes.sql("stop-node", tx.dialect), [t, name])
            try tx.execute(SQLCatalogue.nodes.sql("resign-leadership", tx.dialect), [name])
        }
    }

    /// Becomes or stays the leader for `ttl` seconds; true when this node leads. The row changes
    /// only for its holder or once it lapsed, so of two nodes asking at once one wins; the term
    /// counts changes of leader.
    public func electLeader(_ node: String, ttl: TimeInterval) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(nil)
            return try tx.execute(SQLCatalogue.nodes.sql("elect-leader", tx.dialect), [node, t, t + ttl]) == 1
        }
    }

    /// The node that leads now and its term, if its lease is live.
    public func leader() throws -> (node: String, term: Int)? {
        try database.read { tx in
            guard let row = try tx.row(SQLCatalogue.nodes.sql("leader", tx.dialect), [try tx.clock(nil)]),
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
            let lost = try tx.rows(SQLCatalogue.nodes.sql("silent-nodes", tx.dialect), [t - lostAfter]).compactMap { $0.string("name") }
            for name in lost {
                try tx.execute(SQLCatalogue.nodes.sql("mark-node-lost", tx.dialect), [t, name])
                let owner = name + ":" // worker names are NODE:PID:N
                try tx.execute(SQLCatalogue.nodes.sql("end-leases-of-node", tx.dialect), [t - 1, owner.count, owner])
            }
            return lost
        }
    }

    /// Every node, up ones first, with the jobs it holds.
    public func nodes() throws -> [NodeStatus] {
        try database.read { tx in
            let t = try tx.clock(nil)
            let records = try tx.records(NodeRecord.self, SQLCatalogue.nodes.sql("nodes", tx.dialect))
            let leader = try tx.row(SQLCatalogue.nodes.sql("leader-node", tx.dialect), [t])?.string("node")
            let running = try tx.rows(SQLCatalogue.nodes.sql("running-jobs", tx.dialect), [])
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
