import Foundation
import Logging
import Testing
import TestSupport
@testable import MediaOrchestrator

/// The services that tie nodes together, on the PostgreSQL cluster `make test` started: NOTIFY
/// wakes a node when another changes the store, also after the listening connection was cut, and
/// the change feed shows one node's changes on another's dashboard.
@Suite(.serialized) struct ClusterServiceTests {
    /// Seconds until `wakeups` fire, or nil after `limit`.
    static func timeToWake(_ wakeups: StoreWakeups, limit: TimeInterval, after change: @Sendable () throws -> Void) async throws -> TimeInterval? {
        let started = Date()
        async let woke: Void = wakeups.wait(upTo: limit)
        try await Task.sleep(for: .milliseconds(50)) // the wait is registered
        try change()
        await woke
        let took = Date().timeIntervalSince(started)
        return took < limit - 0.01 ? took : nil
    }

    @Test func aChangeOnOneNodeWakesAnotherAlsoAfterItsListeningConnectionWasCut() async throws {
        let address = try TestPostgres.freshDatabase("wakeups")
        guard case .postgres(let pg) = try StoreLocation.parse(address) else { Issue.record("not postgres"); return }
        let other = try JobStore(location: .postgres(pg)) // another node's store
        let wakeups = StoreWakeups()
        let listener = Task { try await PostgresListenService(address: pg, wakeups: wakeups, logger: Logger(label: "test")).run() }
        defer { listener.cancel() }
        try await Task.sleep(for: .seconds(1)) // listening
        let first = try await Self.timeToWake(wakeups, limit: 5) {
            try other.enqueue(.init(sourceName: "a.mp4", sourceSha256: String(repeating: "a", count: 64), archivePath: "archive/a.mp4",
                                    template: "twitter-reply", priority: .realtime))
        }
        #expect(first != nil && first! < 1, "woken by NOTIFY when another node queued a job (\(first.map { "\($0) s" } ?? "not at all"))")

        // The listening connection dies (a server restart or a network cut does this).
        let killed = try TestPostgres.psql(address, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = 'LISTEN mediaorch'")
        #expect(killed == "1", "one listening connection was cut")
        try await Task.sleep(for: .seconds(3)) // it listens again, with backoff
        let again = try await Self.timeToWake(wakeups, limit: 5) {
            try other.enqueue(.init(sourceName: "b.mp4", sourceSha256: String(repeating: "b", count: 64), archivePath: "archive/b.mp4",
                                    template: "twitter-reply", priority: .realtime))
        }
        #expect(again != nil && again! < 1, "woken again after LISTEN was re-established (\(again.map { "\($0) s" } ?? "not at all"))")
        let listening = try TestPostgres.psql(address, "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN mediaorch'")
        #expect(listening == "1")
    }

    @Test(arguments: StoreKind.allCases) func oneNodesDashboardSeesAnotherNodesChanges(kind: StoreKind) async throws {
        let location = try kind.freshLocation("feed")
        let here = try JobStore(location: location), there = try JobStore(location: location)
        let activity = JobActivity()
        let events = activity.subscribe()
        let feed = Task { try await JobChangeFeedService(store: here, activity: activity, interval: 0.1, logger: Logger(label: "test")).run() }
        defer { feed.cancel() }
        try await Task.sleep(for: .milliseconds(500)) // the feed starts from now
        let id = try there.enqueue(.init(sourceName: "c.mp4", sourceSha256: String(repeating: "c", count: 64), archivePath: "archive/c.mp4",
                                         template: "twitter-reply", priority: .realtime)).job.id
        let claim = try #require(try there.claim(worker: "there:1:1", lease: 30))
        try there.finish(claim, .succeeded)
        let request = try there.createRequest(.init(tweetUrl: "https://x.com/a/status/3", tweetText: "t", camp: "Kakuma"), by: "p")
        var states: [JobState] = [], requests: [String] = []
        let deadline = Date().addingTimeInterval(10)
        for await event in events {
            switch event {
            case .job(let job) where job.id == id: states.append(job.state)
            case .request(let r): requests.append(r.id)
            default: break
            }
            if (states.last == .succeeded && requests.contains(request.id)) || Date() > deadline { break }
        }
        #expect(states.last == .succeeded, "the other node's job reached this node's feed: \(states)")
        #expect(requests == [request.id])
    }
}
