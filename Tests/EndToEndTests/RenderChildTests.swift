import Foundation
import Testing
import TestSupport

/// Each attempt renders in a child process: a render that crashes, hangs or outgrows its memory
/// cap costs that try alone, never the service, its other worker or its HTTP API.
@Suite(.serialized) struct RenderChildTests {
    static func dropFast(_ source: String, as name: String, into ws: URL) throws {
        let inbox = ws.appendingPathComponent("inbox")
        try Data(#"{"template": "twitter-reply-fast"}"#.utf8).write(to: inbox.appendingPathComponent((name as NSString).deletingPathExtension + ".job.json"))
        try WatchServiceTests.copy(source, to: inbox, as: name)
    }

    static func job(named name: String, in ws: URL) throws -> [String: Any] {
        try #require(try WatchServiceTests.jobs(ws).first { $0["source_name"] as? String == name })
    }

    static func health(port: Int) -> Int32 {
        (try? ExternalTool.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(port)/health"]))
            .flatMap { Int32($0.text) } ?? 0
    }

    @Test func aRenderThatCrashesCostsItsTriesAloneAndTheServiceLivesOn() throws {
        let ws = try WatchServiceTests.workspace("render-crash")
        let port = try TestPaths.freePort()
        let service = Process()
        service.executableURL = URL(fileURLWithPath: TestPaths.mediaorch)
        service.arguments = ["watch", "--workspace", ws.path, "--stable-seconds", "1", "--workers", "2", "--max-attempts", "2",
                             "--retry-delay", "0.2", "--port", String(port), "--until-idle"]
        // Only crash.mp4's render dies, with the signal libav would die of on a bad file.
        service.environment = ProcessInfo.processInfo.environment.merging(["MEDIAORCH_FAILPOINT": "render.midway:SEGV@crash.mp4"]) { $1 }
        FileManager.default.createFile(atPath: ws.appendingPathComponent("watch.log").path, contents: nil)
        service.standardError = try FileHandle(forWritingTo: ws.appendingPathComponent("watch.log"))
        try Self.dropFast(TestPaths.sample("shatila_landscape.mp4"), as: "crash.mp4", into: ws)
        try Self.dropFast(TestPaths.sample("kakuma_portrait.mov"), as: "fine.mov", into: ws)
        try service.run()

        var healthSeen: [Int32] = []
        while service.isRunning {
            healthSeen.append(Self.health(port: port))
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(service.terminationStatus == 0, "\(WatchServiceTests.log(ws))")
        #expect(healthSeen.filter { $0 == 200 }.count >= 3, "the API answered throughout: \(healthSeen)")

        let crashed = try Self.job(named: "crash.mp4", in: ws)
        #expect(crashed["state"] as? String == "dead")
        #expect(crashed["attempts"] as? Int == 2)
        let reason = crashed["last_error"] as? String ?? ""
        #expect(reason.contains("the render crashed on this file (signal 11"), "\(reason)")
        #expect(reason.contains(" s of the reply"), "says where: \(reason)")
        let fine = try Self.job(named: "fine.mov", in: ws)
        #expect(fine["state"] as? String == "succeeded", "the other worker's job: \(fine)")
        #expect(WatchServiceTests.allFiles(under: ws.appendingPathComponent("staging")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: ws.appendingPathComponent("outbox/\(crashed["id"] as! String)").path))
    }

    @Test func aRenderThatHangsIsStoppedAndSaysSo() throws {
        let ws = try WatchServiceTests.workspace("render-hang")
        try Self.dropFast(TestPaths.sample("shatila_landscape.mp4"), as: "hang.mp4", into: ws)
        let run = try ExternalTool.run(TestPaths.mediaorch, ["watch", "--workspace", ws.path, "--stable-seconds", "1", "--until-idle", "--no-http",
                                                             "--max-attempts", "1", "--render-stall-seconds", "3"],
                                       environment: ["MEDIAORCH_FAILPOINT": "render.hang"])
        #expect(run.status == 0, "\(run.stderr)")
        let job = try Self.job(named: "hang.mp4", in: ws)
        #expect(job["state"] as? String == "dead")
        #expect((job["last_error"] as? String ?? "").contains("did nothing for 3 s"), "\(job)")
    }

    @Test func aRenderPastItsMemoryCapFailsThatTryWithTheCapNamed() throws {
        let ws = try WatchServiceTests.workspace("render-memory")
        // A 1080x1920 render needs a few hundred MB; 120 MB is not enough.
        try Self.dropFast(TestPaths.sample("kakuma_portrait.mov"), as: "big.mov", into: ws)
        let run = try ExternalTool.run(TestPaths.mediaorch, ["watch", "--workspace", ws.path, "--stable-seconds", "1", "--until-idle", "--no-http",
                                                             "--max-attempts", "1", "--render-memory-mb", "120"])
        #expect(run.status == 0, "\(run.stderr)")
        let job = try Self.job(named: "big.mov", in: ws)
        #expect(job["state"] as? String == "dead")
        #expect((job["last_error"] as? String ?? "").contains("memory cap of 120 MB"), "\(job)")
    }
}

/// A producer's cancel stops the render at once (the change feed sees it), not at the next heartbeat.
@Suite struct CancelStopsTheRenderTests {
    @Test func aCancelledJobsRenderStopsWithinSeconds() throws {
        let ws = try WatchServiceTests.workspace("render-cancel")
        let long = try Fixtures.make("portrait-30s.mp4", ["-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=30", "-f", "lavfi", "-i", Fixtures.speech + ":d=30",
                                                          "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"])
        try RenderChildTests.dropFast(long, as: "long.mp4", into: ws)
        // Lease 60 s: a heartbeat every 20 s, far slower than what this test allows.
        let service = try WatchServiceTests.startWatch(ws, ["--lease", "60"])
        defer { service.terminate(); service.waitUntilExit() }
        #expect(try WatchServiceTests.waitUntilRunning(ws), "\(WatchServiceTests.log(ws))")
        let id = try #require(try WatchServiceTests.jobs(ws).first?["id"] as? String)
        Thread.sleep(forTimeInterval: 1)
        let cancelled = Date()
        let cancel = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "cancel", id, "--workspace", ws.path])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && !WatchServiceTests.log(ws).contains("stopped: cancelled") { Thread.sleep(forTimeInterval: 0.1) }
        let took = Date().timeIntervalSince(cancelled)
        #expect(WatchServiceTests.log(ws).contains("stopped: cancelled"), "\(WatchServiceTests.log(ws))")
        #expect(took < 5, "the render stopped \(took) s after the cancel")
        #expect(try WatchServiceTests.jobs(ws).first?["state"] as? String == "cancelled")
        #expect(!FileManager.default.fileExists(atPath: ws.appendingPathComponent("outbox/\(id)").path))
    }
}
