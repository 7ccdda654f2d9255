import Foundation
import Testing
import TestSupport

/// `mediaorch watch` as the command centre runs it: files dropped into the inbox become jobs.
@Suite(.serialized) struct WatchServiceTests {
    static func workspace(_ name: String) throws -> URL {
        let ws = try TestPaths.scratch("workspaces/\(name)")
        try FileManager.default.createDirectory(at: ws.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        return ws
    }

    static func watch(_ ws: URL, _ extra: [String] = []) throws -> ExternalTool.Result {
        try ExternalTool.run(TestPaths.mediaorch, ["watch", "--workspace", ws.path, "--templates", TestPaths.jobs.path,
                                                   "--stable-seconds", "1", "--until-idle", "--no-http"] + extra)
    }

    static func jobs(_ ws: URL) throws -> [[String: Any]] {
        let r = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "list", "--json", "--workspace", ws.path])
        return try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]] ?? []
    }

    static func sha256(_ path: String) throws -> String {
        String(try ExternalTool.run("sha256sum", [path]).text.prefix(64))
    }

    static func copy(_ source: String, to folder: URL, as name: String? = nil) throws {
        let target = folder.appendingPathComponent(name ?? URL(fileURLWithPath: source).lastPathComponent)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(atPath: source, toPath: target.path)
    }

    /// `mediaorch watch` in the background, as a service runs; without HTTP unless `http`.
    static func startWatch(_ ws: URL, _ extra: [String] = [], http: Bool = false) throws -> Process {
        let service = Process()
        service.executableURL = URL(fileURLWithPath: TestPaths.mediaorch)
        service.arguments = ["watch", "--workspace", ws.path, "--templates", TestPaths.jobs.path, "--stable-seconds", "1"]
            + (http ? [] : ["--no-http"]) + extra
        // Kept for a failing test's message: what the service said.
        FileManager.default.createFile(atPath: ws.appendingPathComponent("watch.log").path, contents: nil)
        service.standardError = try FileHandle(forWritingTo: ws.appendingPathComponent("watch.log"))
        try service.run()
        return service
    }

    static func log(_ ws: URL) -> String {
        (try? String(contentsOf: ws.appendingPathComponent("watch.log"), encoding: .utf8)) ?? ""
    }

    /// Waits (up to 60 s: CI runs other suites beside this one) until some job is running.
    static func waitUntilRunning(_ ws: URL) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try jobs(ws).contains(where: { $0["state"] as? String == "running" }) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    static func allFiles(under folder: URL) -> [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String]) ?? []
    }

    @Test func aDroppedClipWithTicketBecomesAReplyThenItsEditorsCut() throws {
        let ws = try Self.workspace("drop")
        let inbox = ws.appendingPathComponent("inbox")
        for name in ["kakuma_portrait.mov", "kakuma_portrait.job.json", "abu.en.srt", "abu.ar.srt"] {
            try Self.copy(TestPaths.sample(name), to: inbox)
        }
        let dropped = try Self.sha256(TestPaths.sample("kakuma_portrait.mov"))
        let run = try Self.watch(ws)
        #expect(run.status == 0, "\(run.stderr)")
        let jobs = try Self.jobs(ws)
        #expect(jobs.count == 2)
        #expect(jobs.allSatisfy { $0["state"] as? String == "succeeded" }, "\(jobs)")
        let reply = try #require(jobs.first { ($0["template"] as? String) == "twitter-reply" })
        let bts = try #require(jobs.first { ($0["parent_id"] as? String) == (reply["id"] as? String) })
        let outbox = ws.appendingPathComponent("outbox")
        let replyFolder = outbox.appendingPathComponent(reply["id"] as! String)
        let btsFolder = outbox.appendingPathComponent(bts["id"] as! String)
        #expect(FileManager.default.fileExists(atPath: replyFolder.appendingPathComponent("reply.mp4").path))
        #expect(FileManager.default.fileExists(atPath: replyFolder.appendingPathComponent("manifest.json").path))
        #expect(!FileManager.default.fileExists(atPath: replyFolder.appendingPathComponent("bts.mp4").path), "the bts cut is its own job")
        #expect(FileManager.default.fileExists(atPath: btsFolder.appendingPathComponent("bts.mp4").path))
        #expect(FileManager.default.fileExists(atPath: btsFolder.appendingPathComponent("manifest.json").path))
        // The original is archived untouched; the inbox is empty; nothing half-written anywhere.
        let stored = try #require(reply["archive_path"] as? String)
        #expect(stored.hasPrefix("archive/"), "stored relative to the workspace, so nodes mounting it elsewhere find it: \(stored)")
        let archived = ws.appendingPathComponent(stored).path
        #expect(try Self.sha256(archived) == dropped)
        #expect(reply["source_sha256"] as? String == dropped)
        #expect(try FileManager.default.contentsOfDirectory(atPath: inbox.path).isEmpty)
        #expect(Self.allFiles(under: outbox).filter { $0.contains("partial") }.isEmpty)
        #expect(run.stderr.contains("job=\(reply["id"] as! String)"), "log lines carry the job id")
    }

    @Test func garbageIsDeadAfterOneAttemptAndProducersCanRetryAndCancel() throws {
        let ws = try Self.workspace("garbage")
        let garbage = ws.appendingPathComponent("inbox/garbage.mp4")
        try Data((0..<50_000).map { _ in UInt8.random(in: 0...255) }).write(to: garbage)
        #expect(try Self.watch(ws).status == 0)
        let job = try #require(try Self.jobs(ws).first)
        let id = try #require(job["id"] as? String)
        #expect(job["state"] as? String == "dead" && job["attempts"] as? Int == 1)
        let show = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "show", id, "--workspace", ws.path])
        #expect(show.text.contains("attempt 1") && show.text.contains("not a media file"), "\(show.text)")

        let refused = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "cancel", id, "--workspace", ws.path])
        #expect(refused.status != 0 && refused.stderr.contains("already dead"))
        #expect(try ExternalTool.run(TestPaths.mediaorch, ["jobs", "retry", id, "--workspace", ws.path]).status == 0)
        #expect(try Self.jobs(ws).first?["state"] as? String == "queued")
        #expect(try ExternalTool.run(TestPaths.mediaorch, ["jobs", "cancel", id, "--workspace", ws.path]).status == 0)
        #expect(try Self.jobs(ws).first?["state"] as? String == "cancelled")
    }

    @Test func theSameClipTwiceMakesOneJob() throws {
        let ws = try Self.workspace("twice")
        let inbox = ws.appendingPathComponent("inbox")
        try Self.copy(TestPaths.sample("silent_4x3.mp4"), to: inbox, as: "first.mp4")
        #expect(try Self.watch(ws).status == 0)
        try Self.copy(TestPaths.sample("silent_4x3.mp4"), to: inbox, as: "again.mp4")
        #expect(try Self.watch(ws).status == 0)
        let replies = try Self.jobs(ws).filter { $0["template"] as? String == "twitter-reply" }
        #expect(replies.count == 1)
        // The second copy is archived too, never deleted.
        let archived = Self.allFiles(under: ws.appendingPathComponent("archive")).filter { $0.hasSuffix(".mp4") }
        #expect(archived.count == 2, "\(archived)")
    }

    @Test func aPartFileIsIngestedWhenRenamedAndASlowUploadOnlyWhenComplete() throws {
        let ws = try Self.workspace("uploads")
        let inbox = ws.appendingPathComponent("inbox")
        let service = try Self.startWatch(ws, ["--stable-seconds", "2"])
        defer { service.terminate(); service.waitUntilExit() }

        // A slow upload of an MP4 whose moov comes last, written in chunks with pauses.
        let clip = try Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("shatila_landscape.mp4")))
        let slow = inbox.appendingPathComponent("slow.mp4")
        FileManager.default.createFile(atPath: slow.path, contents: nil)
        let handle = try FileHandle(forWritingTo: slow)
        let chunk = clip.count / 5 + 1
        for i in 0..<5 {
            try handle.write(contentsOf: clip[(i * chunk)..<min(clip.count, (i + 1) * chunk)])
            Thread.sleep(forTimeInterval: 1.2)
            if i < 4 { #expect(try Self.jobs(ws).isEmpty, "not ingested while only \(i + 1) of 5 chunks are there") }
        }
        try handle.close()

        // A .part renamed into place: complete by the uploader's word, no stability wait.
        let part = inbox.appendingPathComponent("fast.mp4.part")
        try Self.copy(TestPaths.sample("silent_4x3.mp4"), to: inbox, as: "fast.mp4.part")
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try Self.jobs(ws).count == 1, "the .part is not ingested")
        try FileManager.default.moveItem(at: part, to: inbox.appendingPathComponent("fast.mp4"))
        var jobs: [[String: Any]] = []
        for _ in 0..<100 where jobs.count < 2 {
            Thread.sleep(forTimeInterval: 0.1)
            jobs = try Self.jobs(ws)
        }
        #expect(jobs.contains { $0["source_name"] as? String == "fast.mp4" })
        let slowJob = try #require(jobs.first { $0["source_name"] as? String == "slow.mp4" })
        #expect(slowJob["source_sha256"] as? String == (try Self.sha256(TestPaths.sample("shatila_landscape.mp4"))), "the whole upload was hashed")
    }

    @Test func aServiceKilledMidJobFinishesThatJobExactlyOnceAfterARestart() throws {
        let ws = try Self.workspace("sigkill")
        let input = try Fixtures.make("long20.mp4", ["-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=20", "-f", "lavfi", "-i", Fixtures.speech + ":d=20",
                                                     "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        try Self.copy(input, to: ws.appendingPathComponent("inbox"))
        let first = try Self.startWatch(ws, ["--lease", "3"])
        #expect(try Self.waitUntilRunning(ws))
        Thread.sleep(forTimeInterval: 0.5)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()

        let second = try Self.watch(ws, ["--lease", "3"])
        #expect(second.status == 0, "\(second.stderr)")
        let reply = try #require(try Self.jobs(ws).first { $0["template"] as? String == "twitter-reply" })
        #expect(reply["state"] as? String == "succeeded")
        let id = reply["id"] as! String
        let show = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "show", id, "--json", "--workspace", ws.path])
        let detail = try #require(try JSONSerialization.jsonObject(with: show.stdout) as? [String: Any])
        let outcomes = (detail["attempts"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String }
        #expect(outcomes == ["lease lapsed", "succeeded"], "\(outcomes)")
        let folder = ws.appendingPathComponent("outbox/\(id)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.filter { $0 == "manifest.json" }.count == 1)
        #expect(files.filter { $0.contains("partial") }.isEmpty, "\(files)")
    }
}

/// Every manifest the product writes validates against the JSON Schema in the repository.
@Suite struct ManifestSchemaTests {
    static func validate(_ manifest: String) throws -> ExternalTool.Result {
        let schema = TestPaths.packageRoot.appendingPathComponent("Docs/manifest.schema.json").path
        let script = "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')"
        // Debian's python3-jsonschema (the bootstrap installs it) serves /usr/bin/python3; another python3 may have its own.
        for python in ["/usr/bin/python3", "python3"] {
            let r = try ExternalTool.run(python, ["-c", script, manifest, schema])
            if !r.stderr.contains("No module named") { return r }
        }
        throw OracleError("no python3 with jsonschema")
    }

    @Test func replyAndEditorsCutManifestsMatchTheSchema() throws {
        let folder = try TestPaths.scratch("schema")
        let run = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("kakuma_portrait.mov"), "--out", folder.path,
                                                           "--ticket", TestPaths.sample("kakuma_portrait.job.json"), "--templates", TestPaths.jobs.path])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try Self.validate(folder.appendingPathComponent("manifest.json").path)
        #expect(result.status == 0 && result.text.contains("valid"), "\(result.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any])
        let draft = try #require(manifest["post_draft"] as? [String: Any])
        #expect((draft["text"] as? String)?.hasPrefix("@sarabashiri ") == true)
        #expect((draft["text"] as? String)?.contains("#TakeAction") == true)
        #expect(draft["media_category"] as? String == "tweet_video")
        let source = try #require(manifest["source"] as? [String: Any])
        #expect(source["sha256"] as? String == String(try ExternalTool.run("sha256sum", [TestPaths.sample("kakuma_portrait.mov")]).text.prefix(64)))
    }

    @Test func withoutConsentTheManifestSaysNotReady() throws {
        let folder = try TestPaths.scratch("schema-no-consent")
        let run = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("silent_4x3.mp4"), "--out", folder.path,
                                                           "--templates", TestPaths.jobs.path, "--outputs", "reply"])
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any])
        #expect(manifest["ready_to_post"] as? Bool == false)
        #expect((manifest["not_ready_reasons"] as? [String])?.first?.contains("consent") == true)
        #expect(try Self.validate(folder.appendingPathComponent("manifest.json").path).status == 0)
    }
}

@Suite(.serialized) struct WatchServiceLifecycleTests {
    @Test func aClipWaitsForItsCaptionsThenFailsSayingWhichIsMissing() throws {
        let ws = try WatchServiceTests.workspace("captions-wait")
        let inbox = ws.appendingPathComponent("inbox")
        try WatchServiceTests.copy(TestPaths.sample("kakuma_portrait.mov"), to: inbox)
        try WatchServiceTests.copy(TestPaths.sample("kakuma_portrait.job.json"), to: inbox) // names abu.en.srt and abu.ar.srt
        try WatchServiceTests.copy(TestPaths.sample("abu.en.srt"), to: inbox)
        let run = try WatchServiceTests.watch(ws, ["--captions-timeout", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        let job = try #require(try WatchServiceTests.jobs(ws).first)
        #expect(job["state"] as? String == "dead", "no retry can conjure the file; a producer adds it with jobs retry --captions")
        #expect((job["last_error"] as? String)?.contains("abu.ar.srt") == true, "\(job["last_error"] ?? "")")
        #expect(run.stderr.contains("waiting for captions") || (job["attempts"] as? Int ?? 0) >= 1)
    }

    @Test func sigtermLetsTheRunningJobFinish() throws {
        let ws = try WatchServiceTests.workspace("sigterm")
        try WatchServiceTests.copy(TestPaths.sample("shatila_landscape.mp4"), to: ws.appendingPathComponent("inbox"))
        let service = try WatchServiceTests.startWatch(ws)
        #expect(try WatchServiceTests.waitUntilRunning(ws), "\(WatchServiceTests.log(ws))")
        service.terminate() // SIGTERM
        service.waitUntilExit()
        #expect(service.terminationStatus == 0, "\(WatchServiceTests.log(ws))")
        let jobs = try WatchServiceTests.jobs(ws)
        let reply = try #require(jobs.first { $0["template"] as? String == "twitter-reply" })
        #expect(reply["state"] as? String == "succeeded", "the running job finished within its grace period")
        #expect(!jobs.contains { $0["state"] as? String == "running" })
    }
}

@Suite struct WatchServiceRetryTests {
    /// A failure a retry can fix (here: the job's outbox folder cannot be created) is tried again
    /// after growing delays until its tries are used up, then the job is dead with the reason.
    @Test func aTransientFailureRetriesWithGrowingDelays() throws {
        let ws = try WatchServiceTests.workspace("transient")
        let clip = TestPaths.sample("silent_4x3.mp4")
        try WatchServiceTests.copy(clip, to: ws.appendingPathComponent("inbox"))
        let id = "\(try WatchServiceTests.sha256(clip).prefix(12))-twitter-reply"
        let outbox = ws.appendingPathComponent("outbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: outbox.appendingPathComponent(id).path, contents: Data("in the way".utf8))

        let run = try WatchServiceTests.watch(ws, ["--retry-delay", "0.3", "--max-attempts", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let show = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "show", id, "--json", "--workspace", ws.path])
        let detail = try #require(try JSONSerialization.jsonObject(with: show.stdout) as? [String: Any])
        let job = try #require(detail["job"] as? [String: Any])
        let attempts = try #require(detail["attempts"] as? [[String: Any]])
        #expect(job["state"] as? String == "dead")
        #expect((job["last_error"] as? String)?.contains("cannot create the output folder") == true, "\(job["last_error"] ?? "")")
        #expect(attempts.count == 4)
        let starts = attempts.compactMap { $0["started_at"] as? Double }
        let gaps = zip(starts.dropFirst(), starts).map { $0 - $1 }
        #expect(gaps.count == 3 && gaps[1] > gaps[0] && gaps[2] > gaps[1], "growing delays: \(gaps)")
    }
}
