import Foundation

/// The condition every write made for an attempt is fenced by: the job is running this very
/// attempt, held by this worker and, for writes that make outputs the job's, under a live lease.
/// One definition, so heartbeat, finish, publish and the staging sweep cannot drift apart.
struct AttemptFence {
    let jobId: String
    let attempt: Int
    /// nil: whichever worker holds it (the staging sweep asks about attempts of other processes).
    let worker: String?
    /// nil: a lapsed lease still counts, so a late heartbeat or outcome of a live worker lands
    /// until the job is rescued; set where a lapsed attempt must count as dead.
    let liveAt: Double?

    /// `liveAt`: seconds since 1970 on the database's clock.
    init(_ claim: JobClaim, liveAt: Double? = nil) {
        (jobId, attempt, worker, self.liveAt) = (claim.job.id, claim.attempt, claim.worker, liveAt)
    }

    init(jobId: String, attempt: Int, liveAt: Double) {
        (self.jobId, self.attempt, worker, self.liveAt) = (jobId, attempt, nil, liveAt)
    }

    /// A WHERE condition on the jobs table; bind `arguments` after the statement's own.
    var condition: String {
        "id = ? AND attempts = ? AND state = 'running'"
            + (worker == nil ? "" : " AND lease_owner = ?")
            + (liveAt == nil ? "" : " AND lease_expires_at >= ?")
    }

    var arguments: [any StoreArgument] {
        var arguments: [any StoreArgument] = [jobId, attempt]
        if let worker { arguments.append(worker) }
        if let liveAt { arguments.append(liveAt) }
        return arguments
    }
}
