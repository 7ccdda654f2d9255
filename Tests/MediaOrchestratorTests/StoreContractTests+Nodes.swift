import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

/// Nodes, the leader row, the change table and ingest claims, on both databases.
extension StoreContractTests {
    @Test(arguments: StoreKind.allCases) func oneNodeLeadsAtATimeAndAnotherTakesOverWhenItsLeaseLapses(kind: StoreKind) throws {
        let s = try store("leader", kind)
        #expect(try s.electLeader("alpha", ttl: 0.4))
        #expect(try s.electLeader("beta", ttl: 0.4) == false, "alpha's lease is live")
        #expect(try s.electLeader("alpha", ttl: 0.4), "the holder renews")
        #expect(try s.leader()?.node == "alpha" && (try s.leader()?.term) == 1)
        Thread.sleep(forTimeInterval: 0.6) // alpha paused past its lease
        #expect(try s.leader() == nil)
        #expect(try s.electLeader("beta", ttl: 30))
        #expect(try s.electLeader("alpha", ttl: 30) == false, "alpha resumes and finds beta leading")
        #expect(try s.leader()?.node == "beta" && (try s.leader()?.term) == 2)
        try s.registerNode("beta", version: "t", workers: 1, pid: 1)
        try s.stopNode("beta")
        #expect(try s.leader() == nil, "a clean stop steps down")
        #expect(try s.electLeader("alpha", ttl: 30))
    }

    @Test(arguments: StoreKind.allCases) func aNameHeldByAnotherLiveProcessIsRefused(kind: StoreKind) throws {
        let s = try store("node-names", kind)
        try s.registerNode("delta", version: "t", workers: 1, pid: 4242, host: "render-7")
        #expect(throws: OrchestratorError.self, "another host's live node") { try s.registerNode("delta", version: "t", workers: 1, pid: 10, host: "render-8") }
        try s.registerNode("epsilon", version: "t", workers: 1, pid: getpid(), host: "here") // a live process of this host
        #expect(throws: OrchestratorError.self, "a running process here") { try s.registerNode("epsilon", version: "t", workers: 1, pid: 1_999_999, host: "here") }
        try s.registerNode("zeta", version: "t", workers: 1, pid: 2_000_000_000, host: "here") // no such process: an earlier, killed life
        try s.registerNode("zeta", version: "t", workers: 1, pid: 12, host: "here")
        try s.stopNode("delta")
        try s.registerNode("delta", version: "t", workers: 1, pid: 10, host: "render-8") // stopped cleanly: the name is free
        #expect(try s.nodes().first { $0.name == "delta" }?.host == "render-8")
    }

    @Test(arguments: StoreKind.allCases) func aNodeThatStopsHeartbeatingIsLostAndItsJobsAreRescued(kind: StoreKind) throws {
        let s = try store("lost", kind)
        try s.registerNode("gamma", version: "t", workers: 2, pid: 42)
        try s.registerNode("gamma_", version: "t", workers: 1, pid: 43) // `_` is a LIKE wildcard: not a prefix match
        let id = try s.enqueue(newJob("9a")).job.id
        let other = try s.enqueue(newJob("9b")).job.id
        let claim = try #require(try s.claim(worker: NodeName.worker(node: "gamma", pid: 42, number: 1), lease: 300))
        _ = try #require(try s.claim(worker: NodeName.worker(node: "gamma_", pid: 43, number: 1), lease: 300))
        #expect(claim.job.id == id)
        #expect(try s.nodes().first { $0.name == "gamma" }?.jobs == [id])
        #expect(try s.nodes().first { $0.name == "gamma" }?.state == .up)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try s.heartbeatNode("gamma_"))
        #expect(try s.markLostNodes(lostAfter: 0.3) == ["gamma"])
        #expect(try s.markLostNodes(lostAfter: 0.3).isEmpty, "marked once")
        #expect(try s.nodes().first { $0.name == "gamma" }?.state == .lost)
        #expect(try s.rescueExpiredLeases() == 1, "its job's lease ended with it")
        #expect(try s.job(id)?.state == .failed && (try s.job(other)?.state) == .running)
        #expect(try s.heartbeatNode("gamma"), "a lost node that comes back is up again")
        #expect(try s.nodes().first { $0.name == "gamma" }?.state == .up)
    }

    @Test(arguments: StoreKind.allCases) func everyChangeIsNumberedInTheOrderItWasMade(kind: StoreKind) throws {
        let s = try store("changes", kind)
        let start = try s.latestChangeSeq()
        let id = try s.enqueue(newJob("7c")).job.id
        let request = try s.createRequest(.init(tweetUrl: "https://x.com/a/status/5", tweetText: "t", camp: "Kakuma"), by: "p")
        let claim = try #require(try s.claim(worker: "w", lease: 30))
        try s.finish(claim, .succeeded)
        let changes = try s.changes(afterSeq: start)
        #expect(changes.map(\.seq) == changes.map(\.seq).sorted() && Set(changes.map(\.seq)).count == changes.count)
        #expect(changes.filter { $0.kind == .job }.map(\.id) == [id, id, id], "queued, claimed, finished")
        #expect(changes.filter { $0.kind == .request }.map(\.id) == [request.id])
        let records = try s.changedRecords(changes)
        #expect(records.jobs.map(\.state) == [.succeeded] && records.requests.map(\.id) == [request.id])
        #expect(try s.changes(afterSeq: try s.latestChangeSeq()).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func oneNodeAtATimeIngestsAnUpload(kind: StoreKind) throws {
        let s = try store("ingest-claims", kind)
        #expect(try s.claimIngest("clip.mp4", node: "alpha", lease: 0.4))
        #expect(try s.claimIngest("clip.mp4", node: "beta", lease: 0.4) == false)
        #expect(try s.claimIngest("clip.mp4", node: "alpha", lease: 0.4), "its own retry")
        #expect(try s.pendingIntents().isEmpty, "a claim is not an intent until recorded")
        let intent = IngestIntent(inboxName: "clip.mp4", sha256: String(repeating: "e", count: 64), archivePath: "archive/x/clip.mp4",
                                  sidecars: [], job: newJob("ee"))
        try s.recordIntent(intent)
        #expect(try s.pendingIntents(node: "beta").isEmpty, "alpha's, and alpha's lease is live")
        #expect(try s.pendingIntents(node: "alpha").map(\.inboxName) == ["clip.mp4"])
        Thread.sleep(forTimeInterval: 0.6) // alpha died half way
        #expect(try s.pendingIntents(node: "beta").map(\.inboxName) == ["clip.mp4"], "beta finishes what alpha began")
        #expect(try s.claimIngest("clip.mp4", node: "beta"))
        #expect(try s.completeIntent(intent).created)
        #expect(try s.pendingIntents().isEmpty)
    }
}
