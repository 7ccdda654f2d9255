import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

/// What every store must do, run on SQLite and on PostgreSQL alike: one suite, two databases.
@Suite struct StoreContractTests {
    func store(_ name: String, _ kind: StoreKind, policy: RetryPolicy = RetryPolicy()) throws -> JobStore {
        try kind.open(name, policy: policy)
    }

    func newJob(_ sha: String, template: String = "twitter-reply", priority: JobPriority = .realtime) -> JobStore.NewJob {
        .init(sourceName: "\(sha).mp4", sourceSha256: String(repeating: sha, count: 64 / sha.count), archivePath: "archive/\(sha).mp4",
              template: template, priority: priority)
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: StoreKind.allCases) func storesOpenedAtOnceOnANewDatabaseAllMigrate(kind: StoreKind) throws {
        // As `watch` and a producer's `jobs list` do on a new workspace, many times over.
        for round in 0..<10 {
            let location = try kind.freshLocation("concurrent-\(round)")
            let failures = NSLock(), group = DispatchGroup()
            nonisolated(unsafe) var errors: [String] = [] // guarded by `failures`
            for _ in 0..<8 {
                group.enter()
                Thread.detachNewThread {
                    do { _ = try JobStore(location: location) } catch { failures.withLock { errors.append("\(error)") } }
                    group.leave()
                }
            }
            group.wait()
            #expect(errors.isEmpty, "round \(round): \(errors.first ?? "")")
        }
    }

    @Test(arguments: StoreKind.allCases) func theSameClipTwiceMakesOneJob(kind: StoreKind) throws {
        let s = try store("dedupe", kind)
        let first = try s.enqueue(newJob("ab"), now: t0)
        let again = try s.enqueue(newJob("ab"), now: t0.addingTimeInterval(5))
        #expect(first.created && !again.created)
        #expect(first.job.id == again.job.id)
        #expect(try s.list().count == 1)
    }

    @Test(arguments: StoreKind.allCases) func realtimeRepliesAreClaimedBeforeBTSCuts(kind: StoreKind) throws {
        let s = try store("priority", kind)
        try s.enqueue(newJob("b1", template: "bts-cut", priority: .background), now: t0)
        try s.enqueue(newJob("r1", priority: .realtime), now: t0.addingTimeInterval(1))
        let claim = try #require(try s.claim(worker: "w1", lease: 30, now: t0.addingTimeInterval(2)))
        #expect(claim.job.template == "twitter-reply")
        #expect(claim.job.state == .running && claim.attempt == 1)
    }

    @Test(arguments: StoreKind.allCases) func aLapsedLeaseIsRescuedAndTheOldWorkerIsFencedOff(kind: StoreKind) throws {
        let s = try store("lease", kind)
        try s.enqueue(newJob("cd"), now: t0)
        let first = try #require(try s.claim(worker: "killed", lease: 30, now: t0))
        #expect(try s.renew(first, lease: 30, now: t0.addingTimeInterval(20)))
        #expect(try s.rescueExpiredLeases(now: t0.addingTimeInterval(40)) == 0, "renewed: still alive")
        #expect(try s.rescueExpiredLeases(now: t0.addingTimeInterval(60)) == 1)
        let second = try #require(try s.claim(worker: "w2", lease: 30, now: t0.addingTimeInterval(61)))
        #expect(second.attempt == 2)
        // The killed worker comes back to life and tries to finish: refused.
        #expect(try s.finish(first, .succeeded, now: t0.addingTimeInterval(62)) == false)
        #expect(try s.renew(first, lease: 30, now: t0.addingTimeInterval(62)) == false)
        #expect(try s.finish(second, .succeeded, now: t0.addingTimeInterval(70)))
        #expect(try s.job(second.job.id)?.state == .succeeded)
        let attempts = try s.attempts(of: second.job.id)
        #expect(attempts.map(\.outcome) == ["lease lapsed", "succeeded"])
        #expect(attempts.map(\.worker) == ["killed", "w2"])
    }

    @Test(arguments: StoreKind.allCases) func transientFailuresRetryWithGrowingDelaysThenDie(kind: StoreKind) throws {
        var policy = RetryPolicy()
        policy.maxAttempts = 4
        policy.jitter = 0
        let s = try store("backoff", kind, policy: policy)
        let id = try s.enqueue(newJob("ef"), now: t0).job.id
        var now = t0
        var delays: [Double] = []
        for _ in 1...4 {
            let claim = try #require(try s.claim(worker: "w", lease: 30, now: now))
            try s.finish(claim, .failed(reason: "disk full", permanent: false), now: now)
            let job = try #require(try s.job(id))
            if job.state == .failed {
                delays.append(job.nextAttemptAt - now.timeIntervalSince1970)
                #expect(try s.claim(worker: "w", lease: 30, now: now) == nil, "not before its retry time")
                now = Date(timeIntervalSince1970: job.nextAttemptAt)
            }
        }
        #expect(delays == [5, 10, 20])
        #expect(try s.job(id)?.state == .dead)
        #expect(try s.job(id)?.lastError == "disk full")
    }

    @Test(arguments: StoreKind.allCases) func badInputIsDeadAfterOneAttempt(kind: StoreKind) throws {
        let s = try store("permanent", kind)
        let id = try s.enqueue(newJob("09"), now: t0).job.id
        let claim = try #require(try s.claim(worker: "w", lease: 30, now: t0))
        try s.finish(claim, .failed(reason: "clip.mp4: not a media file libav can read", permanent: true), now: t0)
        let job = try #require(try s.job(id))
        #expect(job.state == .dead && job.attempts == 1)
        #expect(job.lastError?.contains("not a media file") == true)
    }

    @Test(arguments: StoreKind.allCases) func producersCanRetryADeadJobAndCancelAQueuedOne(kind: StoreKind) throws {
        let s = try store("retry-cancel", kind)
        let id = try s.enqueue(newJob("11"), now: t0).job.id
        let claim = try #require(try s.claim(worker: "w", lease: 30, now: t0))
        try s.finish(claim, .failed(reason: "captions line 3: bad timestamp", permanent: true), now: t0)
        try s.retry(id, trim: (start: 1.5, end: 9), now: t0.addingTimeInterval(10))
        let retried = try #require(try s.job(id))
        #expect(retried.state == .queued && retried.trimStart == 1.5 && retried.trimEnd == 9)
        #expect(try s.claim(worker: "w", lease: 30, now: t0.addingTimeInterval(11))?.attempt == 2)

        let other = try s.enqueue(newJob("22"), now: t0).job.id
        try s.cancel(other, now: t0.addingTimeInterval(12))
        #expect(try s.job(other)?.state == .cancelled)
        #expect(throws: OrchestratorError.self) { try s.cancel(other) }
    }

    @Test(arguments: StoreKind.allCases) func aReleasedJobGoesBackWithoutUsingAnAttempt(kind: StoreKind) throws {
        let s = try store("release", kind)
        let id = try s.enqueue(newJob("33"), now: t0).job.id
        let claim = try #require(try s.claim(worker: "stopping", lease: 30, now: t0))
        try s.finish(claim, .released, now: t0.addingTimeInterval(1))
        let job = try #require(try s.job(id))
        #expect(job.state == .queued && job.attempts == 1 && job.maxAttempts == s.retryPolicy.maxAttempts + 1)
        let again = try #require(try s.claim(worker: "next", lease: 30, now: t0.addingTimeInterval(2)))
        #expect(again.attempt == 2)
        #expect(try s.attempts(of: id).map(\.outcome) == ["released", nil])
    }
}
