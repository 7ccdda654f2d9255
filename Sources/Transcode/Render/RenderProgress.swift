import Foundation
import Synchronization

/// How far a render has got, reported from the render's own thread.
public struct RenderProgress: Sendable, Codable {
    /// 0...1, from the output's timestamps against its planned length.
    public var fraction: Double
    /// Seconds of output written so far.
    public var position: Double
    public var duration: Double
    /// Estimated seconds left, once there is enough to go on.
    public var estimatedSecondsLeft: Double?

    public init(fraction: Double, position: Double, duration: Double, estimatedSecondsLeft: Double?) {
        self.fraction = fraction
        self.position = position
        self.duration = duration
        self.estimatedSecondsLeft = estimatedSecondsLeft
    }
}

/// Lets another thread (a producer's cancel, SIGTERM) stop a render between packets.
public final class CancellationFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Turns output timestamps into progress callbacks, at most a few a second.
struct ProgressMeter {
    let duration: Double
    let report: (@Sendable (RenderProgress) -> Void)?
    private let started = Date()
    private var lastReport = Date.distantPast

    init(duration: Double, report: (@Sendable (RenderProgress) -> Void)?) {
        self.duration = duration
        self.report = report
    }

    mutating func update(position: Double, force: Bool = false) {
        guard let report else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastReport) >= 0.2 else { return }
        lastReport = now
        let fraction = min(1, max(0, position / max(duration, 0.001)))
        let elapsed = now.timeIntervalSince(started)
        let eta = fraction > 0.02 ? elapsed * (1 - fraction) / fraction : nil
        report(RenderProgress(fraction: fraction, position: position, duration: duration, estimatedSecondsLeft: eta))
    }
}
