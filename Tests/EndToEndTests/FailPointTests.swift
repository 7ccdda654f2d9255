import Foundation
import Testing
import TestSupport

/// The service dies (SIGKILL) at every step of ingest, claim, publish and finish in turn, then is
/// started again: every clip still ends with exactly one reply job, one manifest, its original
/// byte-identical in archive/, and nothing half-written in outbox/ or left in staging/.
@Suite(.serialized) struct FailPointTests {
    static let points = ["ingest.after-intent", "ingest.after-archive-move", "ingest.after-sidecars", "ingest.after-queue",
                         "claim.after-claim", "publish.before-commit", "publish.after-commit", "publish.after-rename"]

    /// A clip with a ticket naming the fast template (reply only) and a caption file.
    static func drop(into ws: URL) throws {
        let inbox = ws.appendingPathComponent("inbox")
        try WatchServiceTests.copy(TestPaths.sample("shatila_landscape.mp4"), to: inbox, as: "clip.mp4")
        try WatchServiceTests.copy(TestPaths.sample("abu.en.srt"), to: inbox)
        let ticket = #"{"template": "twitter-reply-fast", "speaker": {"name": "Abu", "camp": "Kakuma", "consent": true},"#
            + #" "captions": [{"file": "abu.en.srt", "language": "en", "burn": true}]}"#
        try Data(ticket.utf8).write(to: inbox.appendingPathComponent("clip.job.json"))
    }

    static func runUntilIdle(_ ws: URL, failPoint: String?) throws -> ExternalTool.Result {
        try ExternalTool.run(TestPaths.mediaorch, ["watch", "--workspace", ws.path, "--stable-seconds", "1", "--until-idle", "--no-http",
                                                   "--lease", "2", "--retry-delay", "0.2"],
                             environment: ["MEDIAORCH_FAILPOINT": failPoint ?? ""])
    }

    @Test(arguments: points) func aKillAtThisPointLosesNothingAndDoesNothingTwice(_ point: String) throws {
        let ws = try WatchServiceTests.workspace("failpoint-\(point)")
        try Self.drop(into: ws)
        let original = try WatchServiceTests.sha256(TestPaths.sample("shatila_landscape.mp4"))

        let killed = try Self.runUntilIdle(ws, failPoint: point)
        #expect(killed.status == 9, "the service should have died at \(point): \(killed.stderr)")
        #expect(killed.stderr.contains("fail point \(point) reached"))

        let restarted = try Self.runUntilIdle(ws, failPoint: nil)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        let jobs = try WatchServiceTests.jobs(ws)
        #expect(jobs.count == 1, "\(jobs)")
        let job = try #require(jobs.first)
        #expect(job["state"] as? String == "succeeded", "\(job)")
        #expect(job["source_sha256"] as? String == original)
        let archived = ws.appendingPathComponent(try #require(job["archive_path"] as? String)).path // relative to the workspace
        #expect(try WatchServiceTests.sha256(archived) == original, "the original is byte-identical in archive/")
        let folder = ws.appendingPathComponent("outbox").appendingPathComponent(job["id"] as! String)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        #expect((manifest?["source"] as? [String: Any])?["sha256"] as? String == original)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("reply.mp4").path))
        #expect(job["manifest_sha256"] as? String == (try WatchServiceTests.sha256(folder.appendingPathComponent("manifest.json").path)))

        let outbox = WatchServiceTests.allFiles(under: ws.appendingPathComponent("outbox"))
        #expect(outbox.allSatisfy { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }, "nothing half-written: \(outbox)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ws.appendingPathComponent("outbox").path) == [job["id"] as! String])
        #expect(WatchServiceTests.allFiles(under: ws.appendingPathComponent("staging")).isEmpty, "no attempt left in staging/")
        #expect(WatchServiceTests.allFiles(under: ws.appendingPathComponent("inbox")).isEmpty, "nothing forgotten in the inbox")
        let archive = WatchServiceTests.allFiles(under: ws.appendingPathComponent("archive")).filter { $0.contains("/") }
        #expect(Set(archive.map { URL(fileURLWithPath: $0).lastPathComponent }) == ["clip.mp4", "clip.job.json", "abu.en.srt"], "\(archive)")
    }
}

/// A failed try recorded, then the service dies before it cleans up: after a restart the job has
/// that one failed try (not two, not none) and nothing of the attempt is left in staging/.
@Suite struct FailedTryFailPointTests {
    @Test func aKillAfterRecordingAFailureLeavesOneFailedTry() throws {
        let ws = try WatchServiceTests.workspace("failpoint-finish.after-failure")
        let inbox = ws.appendingPathComponent("inbox")
        // Not a video at all: refused for good on its first try.
        try Data("Abu, take 2. The better one.\n".utf8).write(to: inbox.appendingPathComponent("damaged.mp4"))

        let killed = try FailPointTests.runUntilIdle(ws, failPoint: "finish.after-failure")
        #expect(killed.status == 9, "\(killed.stderr)")
        let restarted = try FailPointTests.runUntilIdle(ws, failPoint: nil)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        let jobs = try WatchServiceTests.jobs(ws)
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job["state"] as? String == "dead", "\(job)")
        #expect(job["attempts"] as? Int == 1)
        #expect((job["last_error"] as? String ?? "").hasPrefix("damaged.mp4: "), "\(job)")
        #expect(WatchServiceTests.allFiles(under: ws.appendingPathComponent("staging")).isEmpty)
        #expect(WatchServiceTests.allFiles(under: ws.appendingPathComponent("outbox")).isEmpty)
    }
}
