import Foundation
import NIOConcurrencyHelpers

/// Whether this node leads now, as its last election said. Maintenance (rescuing lapsed leases,
/// marking lost nodes, sweeping uploads, sending webhooks, expiring requests) runs on the leader
/// only; each piece is also safe if a paused ex-leader runs it once more before it notices.
public final class Leadership: Sendable {
    private let leading: NIOLockedValueBox<Bool>

    /// `leading`: true for a process that is the only one on its store (tests, `--until-idle`).
    public init(leading: Bool = false) { self.leading = NIOLockedValueBox(leading) }

    public var isLeader: Bool { leading.withLockedValue { $0 } }
    func set(_ value: Bool) { leading.withLockedValue { $0 = value } }
}
