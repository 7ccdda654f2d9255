import Foundation
import Testing
import TestSupport

/// A nearly full disk is a state the service waits out: it stops claiming, releases the render
/// in progress without using up a try, refuses uploads with 507, says so on /health, and carries
/// on by itself once space is freed. The workspace is a small tmpfs of the test's own (root only,
/// as CI runs).
@Suite(.serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root")) struct DiskSpaceTests {
    static func health(port: Int) -> [String: Any] {
        guard let r = try? ExternalTool.run("curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/health"]) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: r.stdout) as? [String: Any]) ?? [:]
    }

    static func waitFor(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.25)
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test func aFullDiskHoldsTheQueueReleasesTheRenderAndResumesWhenSpaceReturns() throws {
        let ws = try TestPaths.scratch("disk-space")
        let mount = try ExternalTool.run("mount", ["-t", "tmpfs", "-o", "size=400m", "tmpfs", ws.path])
        try #require(mount.status == 0, "cannot mount a tmpfs: \(mount.stderr)")
        defer { _ = try? ExternalTool.run("umount", ["-l", ws.path]) }
        let inbox = ws.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let token = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "add", "--role", "producer", "--name", "disk test", "--workspace", ws.path])
        let bearer = token.text.split(separator: "\n").first { $0.hasPrefix("mo_") }.map(String.init) ?? ""
        let port = try TestPaths.freePort()
        let service = try WatchServiceTests.startWatch(ws, ["--min-free-mb", "250", "--lease", "3", "--port", String(port), "--workers", "1"], http: true)
        defer { service.terminate(); service.waitUntilExit() }
        try Self.waitFor("the API answers") { Self.health(port: port)["status"] as? String == "ok" }

        // A render starts, then the disk fills past the floor: the render is released, not failed.
        try Data(#"{"template": "twitter-reply-fast"}"#.utf8).write(to: inbox.appendingPathComponent("clip.job.json"))
        // Long enough that the render is still running when the disk fills.
        let long = try Fixtures.make("portrait-30s.mp4", ["-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=30", "-f", "lavfi", "-i", Fixtures.speech + ":d=30",
                                                          "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"])
        try WatchServiceTests.copy(long, to: inbox, as: "clip.mp4")
        try Self.waitFor("the job runs") { try WatchServiceTests.jobs(ws).contains { $0["state"] as? String == "running" } }
        let ballast = ws.appendingPathComponent("ballast")
        let fill = try ExternalTool.run("fallocate", ["-l", "200m", ballast.path])
        try #require(fill.status == 0, "\(fill.stderr)")
        try Self.waitFor("/health reports the low disk") { Self.health(port: port)["status"] as? String == "disk_low" }
        #expect(Self.health(port: port)["disk_low"] as? String == "true")
        try Self.waitFor("the job is released back to the queue") { try WatchServiceTests.jobs(ws).first?["state"] as? String == "queued" }

        let upload = try ExternalTool.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Authorization: Bearer \(bearer)",
                                                   "--data-binary", "@\(TestPaths.sample("silent_4x3.mp4"))",
                                                   "http://127.0.0.1:\(port)/api/uploads/late.mp4"])
        #expect(upload.text == "507", "uploads are refused while the disk is low")
        Thread.sleep(forTimeInterval: 3)
        #expect(try WatchServiceTests.jobs(ws).first?["state"] as? String == "queued", "nothing is claimed while the disk is low")

        // Space returns: the service carries on by itself and the job succeeds; no try was lost.
        try FileManager.default.removeItem(at: ballast)
        try Self.waitFor("the job succeeds", seconds: 120) { try WatchServiceTests.jobs(ws).first?["state"] as? String == "succeeded" }
        #expect(Self.health(port: port)["status"] as? String == "ok")
        let id = try #require(try WatchServiceTests.jobs(ws).first?["id"] as? String)
        let show = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "show", id, "--json", "--workspace", ws.path])
        let attempts = (try JSONSerialization.jsonObject(with: show.stdout) as? [String: Any])?["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.compactMap { $0["outcome"] as? String } == ["released: disk low", "succeeded"], "\(attempts)")
        #expect(WatchServiceTests.log(ws).contains("disk space low"))
    }
}
