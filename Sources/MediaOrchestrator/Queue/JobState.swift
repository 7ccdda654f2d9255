/// Where a job is in its life: queued → running → succeeded | failed (a retry is scheduled) |
/// dead (attempts used up, or an input no retry can fix) | cancelled.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, dead, cancelled

    /// States a worker may claim from (a failed job once its retry time has come).
    static let claimable: [JobState] = [.queued, .failed]
}

/// Claim order: realtime replies before normal work before editors' bts cuts.
public enum JobPriority: Int, Sendable, Codable, Comparable {
    case realtime = 0, normal = 1, background = 2

    public init(_ ticket: Ticket.Priority?) {
        switch ticket {
        case .realtime, nil: self = .realtime
        case .normal: self = .normal
        case .background: self = .background
        }
    }

    public static func < (a: JobPriority, b: JobPriority) -> Bool { a.rawValue < b.rawValue }
}
