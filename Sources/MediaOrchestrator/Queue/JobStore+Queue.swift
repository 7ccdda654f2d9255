import Foundation

/// The queue itself: jobs in, claims with leases out, every outcome fenced by attempt. Its SQL is
/// Store/SQL/queue.sql.
extension JobStore {
    static let queue = SQLCatalogue.queue

    /// Queues a job; the same clip with the same template again returns the existing job.
    @discardableResult
    public func enqueue(_ new: NewJob, now: Date? = nil) throws -> (job: JobRecord, created: Bool) {
        try database.write { tx in try self.insert(new, in: tx, now: try tx.clock(now)) }
    }

    /// Inserts a job unless one with its id exists, inside the caller's transaction. Two nodes
    /// ingesting the same clip at once both land here: the key decides, the loser gets the job.
    func insert(_ new: NewJob, in tx: any StoreTransaction, now t: Double) throws -> (job: JobRecord, created: Bool) {
        let inserted = try tx.execute(Self.queue.sql("insert-job", tx.dialect), [new.id, new.template, new.priority.rawValue, new.sourceName, new.sourceSha256, new.archivePath,
                  new.ticketJson, new.trim?.start, new.trim?.end, retryPolicy.maxAttempts, t, new.parentId, t, t])
        return (try Self.existingJob(new.id, in: tx), inserted == 1)
    }

    /// Takes the most urgent job that is due, with a lease until the database's `now + lease`.
    /// On PostgreSQL one short statement picks and takes it, passing over rows another node is
    /// taking at that moment (SKIP LOCKED); on SQLite the single writer makes the same pick.
    /// The claim holds no transaction while the job runs: the lease is the lock.
    public func claim(worker: String, lease: TimeInterval, now: Date? = nil) throws -> JobClaim? {
        if dialect == .postgres { return try claimInOneStatement(worker: worker, lease: lease, now: now) }
        return try database.write { tx in
            let t = try tx.clock(now)
            guard let job = try tx.record(JobRecord.self, Self.queue.sql("claim", tx.dialect), [t, worker, t + lease, t]) else { return nil }
            try tx.execute(Self.queue.sql("insert-attempt", tx.dialect), [job.id, job.attempts, worker, t])
            return JobClaim(job: job, attempt: job.attempts, worker: worker)
        }
    }

    /// PostgreSQL's claim, as River and Oban make it: one statement (its own transaction, one
    /// round trip) picks the most urgent due job that no other node is taking at that moment,
    /// takes it with a lease on the database's clock, and records the attempt.
    private func claimInOneStatement(worker: String, lease: TimeInterval, now: Date?) throws -> JobClaim? {
        try database.statement { tx in
            guard let job = try tx.record(JobRecord.self, Self.queue.sql("claim-in-one-statement", tx.dialect),
                                          [now?.timeIntervalSince1970, worker, lease]) else { return nil }
            return JobClaim(job: job, attempt: job.attempts, worker: worker)
        }
    }

    /// Heartbeat: extends the lease. False when the claim is no longer this worker's (rescued, cancelled).
    public func renew(_ claim: JobClaim, lease: TimeInterval, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            let fence = AttemptFence(claim)
            return try tx.execute(Self.queue.sql("renew", tx.dialect, fence: fence), [t + lease, t] + fence.arguments) == 1
        }
    }

    public enum Outcome: Sendable {
        case succeeded
        /// `permanent`: bad input, no retry can help.
        case failed(reason: String, permanent: Bool)
        /// The worker was asked to stop (SIGTERM past its grace): the job goes back to the queue as it was.
        case released
        /// The disk fell below its free-space floor: back to the queue, no try used, the reason kept.
        case releasedForDiskSpace

        var isDiskRelease: Bool { if case .releasedForDiskSpace = self { true } else { false } }
    }

    /// How many of a job's attempts were released for lack of disk space: a render whose own
    /// outputs fill the disk would otherwise be released and claimed again for ever.
    public func diskReleases(of id: String) throws -> Int {
        try database.read { tx in
            try tx.row(Self.queue.sql("disk-releases", tx.dialect), [id, Self.diskRelease])?.int("n") ?? 0
        }
    }

    /// How an attempt released for lack of disk space is recorded.
    static let diskRelease = "released: disk low"

    /// Records how an attempt ended. Fenced: a worker whose lease lapsed and whose job was rescued
    /// and claimed again cannot overwrite the newer attempt's state. Returns false when fenced off.
    @discardableResult
    public func finish(_ claim: JobClaim, _ outcome: Outcome, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            let fence = AttemptFence(claim)
            guard let job = try tx.record(JobRecord.self, Self.queue.sql("fenced-job", tx.dialect, fence: fence), fence.arguments) else { return false }
            let state: JobState, next: Double, error: String?, label: String
            var maxAttempts = job.maxAttempts
            switch outcome {
            case .succeeded:
                (state, next, error, label) = (.succeeded, t, nil, "succeeded")
            case .failed(let reason, let permanent):
                let exhausted = permanent || job.attempts >= job.maxAttempts
                state = exhausted ? .dead : .failed
                next = exhausted ? t : t + retryPolicy.delay(afterAttempt: job.attempts)
                (error, label) = (reason, "failed")
            case .released, .releasedForDiskSpace:
                let disk = outcome.isDiskRelease
                (state, next, error, label) = (.queued, t, disk ? "the disk was below its free-space floor" : nil, disk ? Self.diskRelease : "released")
                maxAttempts += 1 // a release is not a failure: it does not use up a try
            }
            try tx.execute(Self.queue.sql("finish-job", tx.dialect), [state.rawValue, maxAttempts, next, error, t, job.id])
            try tx.execute(Self.queue.sql("finish-attempt", tx.dialect), [t, label, error, job.id, claim.attempt])
            return true
        }
    }

    /// Jobs whose worker stopped renewing (killed, machine lost, paused) go back to the queue as
    /// a transient failure; returns how many. Safe when two nodes run it at once: each lapsed
    /// job is locked by the one that takes it and passed over by the other.
    @discardableResult
    public func rescueExpiredLeases(now: Date? = nil) throws -> Int {
        try database.write { tx in
            let t = try tx.clock(now)
            let lapsed = try tx.records(JobRecord.self, Self.queue.sql("lapsed-leases", tx.dialect), [t])
            for job in lapsed {
                let reason = "worker \(job.leaseOwner ?? "?") stopped renewing its lease (killed or lost)"
                let dead = job.attempts >= job.maxAttempts
                try tx.execute(Self.queue.sql("rescue-job", tx.dialect), [dead ? "dead" : "failed", t, reason, t, job.id])
                try tx.execute(Self.queue.sql("rescue-attempt", tx.dialect), [t, reason, job.id, job.attempts])
            }
            return lapsed.count
        }
    }

    /// Editors' cuts wait behind replies, but not for ever: one that has waited `after` seconds
    /// is promoted to realtime, and then goes by its due time among the replies (an old due
    /// time puts it first). Returns how many were promoted.
    @discardableResult
    public func promoteStarvedWork(after: TimeInterval = 1800, now: Date? = nil) throws -> Int {
        try database.write { tx in
            let t = try tx.clock(now)
            return try tx.execute(Self.queue.sql("promote-starved", tx.dialect), [t, t - after])
        }
    }
}
