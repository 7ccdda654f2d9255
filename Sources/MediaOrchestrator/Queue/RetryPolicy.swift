import Foundation

/// How long to wait before trying a transiently failed job again: exponential, with jitter so
/// jobs that failed together do not retry together, up to a cap.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts = 4
    public var firstDelay: TimeInterval = 5
    public var factor = 2.0
    public var maxDelay: TimeInterval = 300
    /// ± this fraction of the delay.
    public var jitter = 0.2

    public init() {}

    /// Delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: -1...1)) -> TimeInterval {
        let base = min(maxDelay, firstDelay * pow(factor, Double(max(0, attempt - 1))))
        return max(0, base * (1 + jitter * random))
    }
}
