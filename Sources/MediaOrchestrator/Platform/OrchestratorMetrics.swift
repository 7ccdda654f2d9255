import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The figures /metrics exposes, recorded through swift-metrics into one Prometheus registry.
public enum OrchestratorMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Once per process: swift-metrics allows one backend.
    public static let bootstrap: Void = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }()

    /// Jobs by state, and the queue depth (queued, or failed and waiting for a retry).
    static func recordQueue(_ counts: [JobState: Int]) {
        for (state, count) in counts {
            Gauge(label: "mediaorch_jobs", dimensions: [("state", state.rawValue)]).record(count)
        }
        Gauge(label: "mediaorch_queue_depth").record((counts[.queued] ?? 0) + (counts[.failed] ?? 0))
    }

    /// One attempt at a job, from claim to outcome.
    static func recordJob(template: String, outcome: String, seconds: Double) {
        Timer(label: "mediaorch_job_duration_seconds", dimensions: [("template", template), ("outcome", outcome)])
            .recordSeconds(seconds)
    }

    /// The manifest's stage times: reply (with thumbnails), bts.
    static func recordStages(_ stages: [String: Double]) {
        for (stage, seconds) in stages {
            Timer(label: "mediaorch_stage_duration_seconds", dimensions: [("stage", stage)]).recordSeconds(seconds)
        }
    }

    /// From an upload counting as complete (or its first ingest try) to its job being queued.
    static func recordIngest(seconds: Double) {
        Timer(label: "mediaorch_ingest_latency_seconds").recordSeconds(seconds)
    }

    /// A render child that died or hung (by kind: crashed, hung, memory), and every failed try by
    /// kind, so a dashboard tells a bad batch of uploads from a sick machine.
    static func recordFailedTry(kind: String) {
        Counter(label: "mediaorch_failed_tries_total", dimensions: [("kind", kind)]).increment()
    }

    /// Jobs found half-done at start-up and finished (ingests, publishes, orphaned clips).
    static func recordRescue(kind: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: "mediaorch_rescues_total", dimensions: [("kind", kind)]).increment(by: count)
    }

    /// The Prometheus text format.
    public static func exposition() -> String {
        _ = bootstrap
        return registry.emitToString()
    }
}
