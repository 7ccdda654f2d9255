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
    /// A reply request was made or changed state.
    case request(ReplyRequest)
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
        /// This process's running attempts, by job id and attempt: stopped the moment the change
        /// feed sees their job cancelled, from the API, the CLI or another node.
        var running: [String: (attempt: Int, flag: CancellationFlag)] = [:]
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

    /// An attempt this process is rendering; `flag` stops it.
    func started(job: String, attempt: Int, flag: CancellationFlag) {
        state.withLock { $0.running[job] = (attempt, flag) }
    }

    func ended(job: String, attempt: Int) {
        state.withLock { state in
            if state.running[job]?.attempt == attempt { state.running[job] = nil }
        }
    }

    /// A job's stored record changed; a job that is no longer running has no progress, and a
    /// local render of an attempt that is no longer the running one stops at once.
    public func changed(_ job: JobRecord) {
        let (subscribers, stop) = state.withLock { state in
            if job.state != .running { state.progress[job.id] = nil }
            let local = state.running[job.id]
            // A record older than the attempt (read before it was claimed) says nothing about it.
            let superseded = local.map { job.attempts > $0.attempt || (job.attempts == $0.attempt && job.state != .running) } ?? false
            return (Array(state.subscribers.values), superseded ? local?.flag : nil)
        }
        stop?.cancel()
        for subscriber in subscribers { subscriber.yield(.job(job)) }
    }

    public func changed(_ request: ReplyRequest) {
        for subscriber in state.withLock({ Array($0.subscribers.values) }) { subscriber.yield(.request(request)) }
    }

    public func heartbeat() {
        for subscriber in state.withLock({ Array($0.subscribers.values) }) { subscriber.yield(.heartbeat) }
    }

    public func progress(of job: String) -> JobProgress? {
        state.withLock { $0.progress[job] }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
