import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

/// The contract where several workers or nodes share one store: no job twice, fences that hold
/// on the database's clock, the field path's tables and the webhook outbox, on both databases.
extension StoreContractTests {
    @Test(arguments: StoreKind.allCases) func workersClaimingAtOnceNeverTakeTheSameJob(kind: StoreKind) throws {
        let s = try store("claim-race", kind)
        for i in 0..<40 { try s.enqueue(newJob(String(format: "%02x", i))) }
        let lock = NSLock(), group = DispatchGroup()
        nonisolated(unsafe) var taken: [String] = [], errors: [String] = [] // guarded by `lock`
        for w in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    while let claim = try s.claim(worker: "w\(w)", lease: 30) {
                        lock.withLock { taken.append(claim.job.id) }
                        try s.finish(claim, .succeeded)
                    }
                } catch { lock.withLock { errors.append("\(error)") } }
            }
        }
        group.wait()
        #expect(errors.isEmpty, "\(errors.first ?? "")")
        #expect(taken.count == 40 && Set(taken).count == 40, "claimed \(taken.count), distinct \(Set(taken).count)")
        #expect(try s.countsByState()[.succeeded] == 40)
    }

    /// A worker paused past its lease (SIGSTOP, a stalled VM) and resumed finds its job rescued
    /// and taken by another: its heartbeat, outcome and publish all change nothing. Real time on
    /// the database's clock, no `now` given.
    @Test(arguments: StoreKind.allCases) func aWorkerPausedPastItsLeaseChangesNothingWhenItResumes(kind: StoreKind) throws {
        let s = try store("paused", kind)
        let id = try s.enqueue(newJob("5e")).job.id
        let paused = try #require(try s.claim(worker: "paused", lease: 0.3))
        #expect(try s.isRunning(jobId: id, attempt: 1))
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try s.isRunning(jobId: id, attempt: 1) == false, "a lapsed lease is dead even before the rescue")
        #expect(try s.rescueExpiredLeases() == 1)
        let next = try #require(try s.claim(worker: "next", lease: 30))
        #expect(next.attempt == 2)
        #expect(try s.renew(paused, lease: 30) == false)
        #expect(try s.publish(paused, manifestSha256: "x", editorsCut: nil) == false)
        #expect(try s.finish(paused, .failed(reason: "late", permanent: true)) == false)
        let job = try #require(try s.job(id))
        #expect(job.state == .running && job.leaseOwner == "next" && job.attempts == 2)
        #expect(try s.publish(next, manifestSha256: "abc", editorsCut: nil))
        #expect(try s.job(id)?.publishedAttempt == 2)
    }

    @Test(arguments: StoreKind.allCases) func anEditorsCutThatWaitedLongIsPromotedAheadOfNewReplies(kind: StoreKind) throws {
        let s = try store("starvation", kind)
        let cut = try s.enqueue(newJob("c1", template: "bts-cut", priority: .background), now: t0).job.id
        try s.enqueue(newJob("r1"), now: t0.addingTimeInterval(1000))
        #expect(try s.promoteStarvedWork(after: 1800, now: t0.addingTimeInterval(1500)) == 0, "not starved yet")
        try s.enqueue(newJob("r2"), now: t0.addingTimeInterval(1900))
        #expect(try s.promoteStarvedWork(after: 1800, now: t0.addingTimeInterval(1900)) == 1)
        let first = try #require(try s.claim(worker: "w", lease: 30, now: t0.addingTimeInterval(1901)))
        #expect(first.job.id == cut, "waited longest, now realtime: first")
    }

    @Test(arguments: StoreKind.allCases) func jobsAndRequestsFilterByCampWhateverItsCase(kind: StoreKind) throws {
        let s = try store("camps", kind)
        var job = newJob("ca")
        job.ticketJson = #"{"speaker":{"camp":"Kakuma","name":"Amani"},"reply_to":{"handle":"@sara"}}"#
        try s.enqueue(job)
        try s.enqueue(newJob("cb"))
        #expect(try s.list(JobFilter(camp: "KAKUMA")).map(\.sourceName) == ["ca.mp4"])
        _ = try s.createRequest(.init(tweetUrl: "https://x.com/sara/status/1", tweetText: "t", camp: "Kakuma"), by: "p")
        _ = try s.createRequest(.init(tweetUrl: "https://x.com/sara/status/2", tweetText: "t", camp: "Dadaab"), by: "p")
        #expect(try s.requests(RequestFilter(camp: "kakuma")).map(\.camp) == ["Kakuma"])
    }

    /// The field path end to end at the store: a request, the clip's job linked by ingest, its
    /// render published, the reply posted; the request follows, and every webhook event is queued
    /// by the same transaction as its change, with a body that says what happened.
    @Test(arguments: StoreKind.allCases) func requestsFollowTheirJobAndEveryEventIsQueuedForWebhooks(kind: StoreKind) throws {
        let s = try store("outbox", kind)
        let endpoint = try s.addWebhook(url: "https://hooks.example/in")
        let request = try s.createRequest(.init(tweetUrl: "https://x.com/sara/status/77", tweetText: "Where is the water?", camp: "Kakuma"), by: "producer")
        var job = newJob("0f")
        job.requestId = request.id
        job.ticketJson = #"{"speaker":{"camp":"Kakuma","consent":true},"reply_to":{"handle":"@sara"}}"#
        let intent = IngestIntent(inboxName: "clip.mp4", sha256: job.sourceSha256, archivePath: job.archivePath, sidecars: [], job: job)
        try s.recordIntent(intent)
        #expect(try s.pendingIntents().map(\.inboxName) == ["clip.mp4"])
        let made = try s.completeIntent(intent)
        let again = try s.completeIntent(intent)
        #expect(made.created && !again.created, "a second node finishing the same intent makes no second job")
        #expect(try s.pendingIntents().isEmpty)
        let linked = try #require(try s.request(request.id))
        #expect(linked.state == .rendering && linked.jobId == made.job.id)
        let claim = try #require(try s.claim(worker: "w", lease: 30))
        #expect(try s.publish(claim, manifestSha256: "m", editorsCut: nil))
        #expect(try s.request(request.id)?.state == .ready)
        _ = try s.markPosted(made.job.id, url: "https://x.com/mo/status/99", by: "producer")
        #expect(try s.request(request.id)?.state == .posted)

        let deliveries = try s.webhookDeliveries().reversed()
        #expect(deliveries.map(\.event) == ["request.created", "job.ready", "reply.posted"])
        #expect(deliveries.allSatisfy { $0.endpointId == endpoint.id && $0.state == "pending" && $0.id.hasPrefix("msg_") })
        for delivery in deliveries {
            let body = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body.utf8)) as? [String: Any])
            let data = try #require(body["data"] as? [String: Any])
            #expect(body["type"] as? String == delivery.event)
            #expect((body["timestamp"] as? String)?.hasSuffix("Z") == true)
            if delivery.event == "request.created" {
                #expect(data["id"] as? String == request.id && data["camp"] as? String == "Kakuma")
            } else {
                #expect(data["id"] as? String == made.job.id && data["request_id"] as? String == request.id)
                #expect(data["camp"] as? String == "Kakuma" && data["handle"] as? String == "@sara")
            }
        }
        let posted = try #require(deliveries.last)
        let postedBody = try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any]
        #expect((postedBody?["data"] as? [String: Any])?["posted_url"] as? String == "https://x.com/mo/status/99")
    }

    /// Two senders (two nodes, or a leader change) asking for due deliveries at once get
    /// different ones; a delivery taken is not taken again until its lease ends.
    @Test(arguments: StoreKind.allCases) func dueDeliveriesAreTakenByOneSenderAtATime(kind: StoreKind) throws {
        let s = try store("deliveries", kind)
        _ = try s.addWebhook(url: "https://hooks.example/in")
        for i in 0..<12 { _ = try s.createRequest(.init(tweetUrl: "https://x.com/a/status/\(i + 1)", tweetText: "t", camp: "Kakuma"), by: "p") }
        let lock = NSLock(), group = DispatchGroup()
        nonisolated(unsafe) var taken: [String] = [], leases: [String: Double?] = [:] // guarded by `lock`
        for _ in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let mine = (try? s.claimDueDeliveries(lease: 60, limit: 5)) ?? []
                lock.withLock {
                    taken += mine.map(\.0.id)
                    for (delivery, _) in mine { leases[delivery.id] = delivery.leaseUntil }
                }
            }
        }
        group.wait()
        #expect(taken.count == 12 && Set(taken).count == 12, "taken \(taken.count), distinct \(Set(taken).count)")
        #expect(try s.claimDueDeliveries().isEmpty, "all leased")
        // A sender whose lease is not the delivery's (a paused ex-leader) changes nothing.
        try s.recordDeliveryTry(taken[0], leaseUntil: 1, status: 500, error: "late", schedule: WebhookRetrySchedule())
        #expect(try s.webhookDeliveries(state: "pending").first { $0.id == taken[0] }?.attempts == 0)
        try s.recordDeliveryTry(taken[0], leaseUntil: leases[taken[0]] ?? nil, status: 204, error: nil, schedule: WebhookRetrySchedule())
        #expect(try s.webhookDeliveries(state: "delivered").map(\.id) == [taken[0]])
        try s.recordDeliveryTry(taken[0], leaseUntil: leases[taken[0]] ?? nil, status: 500, error: "again", schedule: WebhookRetrySchedule())
        #expect(try s.webhookDeliveries(state: "delivered").map(\.id) == [taken[0]], "delivered stays delivered")
    }

    @Test(arguments: StoreKind.allCases) func tokensAreKeptAsHashesAndNamesAreUnique(kind: StoreKind) throws {
        let s = try store("tokens", kind)
        let (token, record) = try s.addToken(role: .uploader, name: "kakuma-phone", camp: "Kakuma")
        #expect(try s.authenticate(token)?.id == record.id)
        #expect(try s.authenticate(token + "x") == nil)
        #expect(try s.tokens().allSatisfy { $0.sha256 != token && !$0.sha256.contains(token) })
        #expect(throws: OrchestratorError.self) { try s.addToken(role: .producer, name: "kakuma-phone") }
        try s.revokeToken("kakuma-phone")
        #expect(try s.authenticate(token) == nil)
    }
}
