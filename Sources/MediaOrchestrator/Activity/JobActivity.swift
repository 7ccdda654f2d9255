import Foundation
import Synchronization
import Transcode

/// How far a running job has got, as the dashboard shows it.
public struct JobProgress: Sendable, Codable, Equatable {
    public var jobId: String
    /// "reply" or "bts".
    public var stage: String
    public var fraction: Double
    public var position: Double
    public var duration: Double
    public var estimatedSecondsLeft: Double?
}

/// What the live stream tells a dashboard.
public enum JobEvent: Sendable {
    /// A job's stored state changed (queued, claimed, finished, retried, cancelled…).
    case job(JobRecord)
    case progress(JobProgress)
    /// Nothing happened: keeps idle connections (and the proxies on the way) open.
    case heartbeat
}

/// The process's live view of its jobs: the latest progress of each running job (kept in memory,
/// never in the store: it changes several times a second) and a fan-out of events to every open
/// dashboard stream. Render threads report into it; HTTP streams read from it.
public final class JobActivity: Sendable {
    private struct State {
        var progress: [String: JobProgress] = [:]
        var subscribers: [UUID: AsyncStream<JobEvent>.Continuation] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// A stream of every event from now on. A slow reader loses the oldest events, never blocks a render.
    public func subscribe() -> AsyncStream<JobEvent> {
        let id = UUID()
        return AsyncStream(bufferingPolicy: .bufferingNewest(512)) { continuation in
            state.withLock { $0.subscribers[id] = continuation }
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            }
        }
    }

    /// Called from a render's thread.
    public func report(job: String, stage: String, _ progress: RenderProgress) {
        let update = JobProgress(jobId: job, stage: stage, fraction: progress.fraction, position: progress.position,
                                 duration: progress.duration, estimatedSecondsLeft: progress.estimatedSecondsLeft)
        let subscribers = state.withLock { state in
            state.progress[job] = update
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(.progress(update)) }
    }

    /// A job's stored record changed; a job that is no longer running has no progress.
    public func changed(_ job: JobRecord) {
        let subscribers = state.withLock { state in
            if job.state != .running { state.progress[job.id] = nil }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(.job(job)) }
    }

    public func heartbeat() {
        for subscriber in state.withLock({ Array($0.subscribers.values) }) { subscriber.yield(.heartbeat) }
    }

    public func progress(of job: String) -> JobProgress? {
        state.withLock { $0.progress[job] }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
