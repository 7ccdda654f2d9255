import Foundation
import Testing
import TestSupport

/// The dashboard in a real browser: headless Chromium opens it from a running `mediaorch watch`
/// holding jobs in several states, and scripts/dashboard-check.py reports what the page shows.
@Suite(.serialized) struct DashboardBrowserTests {
    /// Polls the store (up to `timeout` s) until `check` holds for the job list.
    static func wait(_ ws: URL, timeout: Double = 120, _ check: ([[String: Any]]) -> Bool) throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let list = try WatchServiceTests.jobs(ws)
            if check(list) { return list }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try WatchServiceTests.jobs(ws)
    }

    static func drop(_ source: String, as name: String, into inbox: URL, template: String = "twitter-reply-fast") throws {
        let ticket = #"{"template": "\#(template)", "speaker": {"name": "Test", "camp": "Kakuma", "consent": true}, "reply_to": {"handle": "@tester"}}"#
        let base = (name as NSString).deletingPathExtension
        try Data(ticket.utf8).write(to: inbox.appendingPathComponent("\(base).job.json"))
        let hidden = inbox.appendingPathComponent(".\(name).part")
        try FileManager.default.copyItem(atPath: source, toPath: hidden.path)
        try FileManager.default.moveItem(at: hidden, to: inbox.appendingPathComponent(name))
    }

    @Test func theDashboardShowsLiveJobsAndItsRetryButtonWorks() throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "scripts/bootstrap.sh installs Debian's chromium")
        let ws = try TestPaths.scratch("browser/workspace")
        let inbox = ws.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let output = try TestPaths.scratch("browser/screens")
        // Long enough to be watched rendering for several seconds.
        let long = try Fixtures.make("dashboard-long-720p.mp4", [
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", Fixtures.speech,
            "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"])
        let token = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "add", "--role", "producer", "--name", "browser test", "--workspace", ws.path])
            .text.trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try TestPaths.freePort()

        let service = try WatchServiceTests.startWatch(ws, ["--workers", "1", "--port", String(port), "--node", "desk-node"], http: true)
        defer { if service.isRunning { service.terminate(); service.waitUntilExit() } }

        // A finished reply and a dead upload first, then a long render with a clip queued behind it.
        // The full reply template: thumbnails and end card, as the command centre posts it.
        try Self.drop(TestPaths.sample("kakuma_portrait.mov"), as: "kakuma.mov", into: inbox, template: "twitter-reply")
        let broken = inbox.appendingPathComponent("broken.mp4")
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: broken)
        var list = try Self.wait(ws) { l in
            l.contains { $0["source_name"] as? String == "kakuma.mov" && $0["template"] as? String == "twitter-reply" && $0["state"] as? String == "succeeded" } &&
            l.contains { $0["source_name"] as? String == "broken.mp4" && $0["state"] as? String == "dead" }
        }
        let done = try #require(list.first { $0["source_name"] as? String == "kakuma.mov" && $0["template"] as? String == "twitter-reply" }?["id"] as? String)
        let dead = try #require(list.first { $0["source_name"] as? String == "broken.mp4" && $0["state"] as? String == "dead" }?["id"] as? String)
        try Self.drop(long, as: "long.mp4", into: inbox)
        list = try Self.wait(ws) { l in l.contains { $0["source_name"] as? String == "long.mp4" && $0["state"] as? String == "running" } }
        try Self.drop(TestPaths.sample("shatila_landscape.mp4"), as: "shatila.mp4", into: inbox)
        list = try Self.wait(ws) { l in l.contains { $0["source_name"] as? String == "shatila.mp4" && $0["state"] as? String == "queued" } }
        let running = try #require(list.first { $0["source_name"] as? String == "long.mp4" }?["id"] as? String)

        let check = try ExternalTool.run("python3", [TestPaths.packageRoot.appendingPathComponent("scripts/dashboard-check.py").path,
                                                     "http://127.0.0.1:\(port)/#token=\(token)", output.appendingPathComponent("dashboard.png").path,
                                                     "--retry-job", dead, "--play-job", done,
                                                     "--post-job", done, "--post-url", "https://x.com/commandcentre/status/1870000000000000042"])
        #expect(check.status == 0, "\(check.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: check.stdout) as? [String: Any])
        let first = try #require((report["snapshots"] as? [[String: Any]])?.first)
        #expect(first["signedIn"] as? Bool == true && first["status"] as? String == "live")
        let rows = try #require(first["rows"] as? [[String: Any]])
        let byId = Dictionary(uniqueKeysWithValues: rows.compactMap { r in (r["id"] as? String).map { ($0, r) } })
        #expect(byId[running]?["state"] as? String == "running" && byId[running]?["section"] as? String == "running")
        #expect(rows.contains { $0["state"] as? String == "queued" && $0["section"] as? String == "queued" })
        #expect(byId[done]?["section"] as? String == "succeeded" && byId[done]?["thumbnail"] as? Bool == true)
        #expect(byId[dead]?["section"] as? String == "dead" && byId[dead]?["retry"] as? Bool == true)
        #expect((byId[dead]?["reason"] as? String)?.contains("broken.mp4") == true, "the failure reason is on the row")
        #expect(report["moving_job"] as? String == running)
        #expect(report["progress_moved"] as? Bool == true, "the running job's bar moved without a reload")

        #expect(report["retry_clicked"] as? Bool == true)
        let after = try #require((report["after_retry"] as? [String: Any])?["rows"] as? [[String: Any]])
        #expect(after.first { $0["id"] as? String == dead }?["state"] as? String != "dead", "the page shows the retried job queued again")
        let retried = try #require(try WatchServiceTests.jobs(ws).first { $0["id"] as? String == dead })
        #expect(retried["state"] as? String != "dead" || (retried["attempts"] as? Int ?? 0) >= 2, "the store has the retry: \(retried)")

        let player = try #require(report["player"] as? [String: Any], "reply.mp4 loaded in the inline player")
        #expect((player["duration"] as? Double ?? 0) > 9 && player["width"] as? Int == 720 && player["height"] as? Int == 1280, "\(player)")
        #expect((player["post"] as? String)?.contains("#TakeAction") == true)

        // Ready replies are the to-do list; the editors' cut made beside the reply is shown apart.
        let cuts = rows.filter { ($0["id"] as? String ?? "").hasSuffix("-of-reply") }
        #expect(!cuts.isEmpty, "the reply's editors' cut is on the board")
        for cut in cuts {
            let state = cut["state"] as? String ?? ""
            #expect(cut["section"] as? String == (state == "succeeded" ? "cuts" : state), "a finished bts cut is in its own column: \(cut)")
        }
        #expect(report["post_clicked"] as? Bool == true)
        let afterPost = try #require((report["after_post"] as? [String: Any])?["rows"] as? [[String: Any]])
        // The nodes strip: this one `watch`, up, leading maintenance, its heartbeat in the tooltip.
        let nodes = try #require((report["after_post"] as? [String: Any])?["nodes"] as? [[String: Any]])
        #expect(nodes.count == 1 && (nodes.first?["text"] as? String)?.contains("desk-node ★") == true, "\(nodes)")
        #expect((nodes.first?["state"] as? String)?.contains("node-up") == true && (nodes.first?["title"] as? String)?.contains("last heartbeat") == true)
        #expect(afterPost.first { $0["id"] as? String == done }?["section"] as? String == "posted", "posting moves the reply to Posted")
        let posted = try #require(try WatchServiceTests.jobs(ws).first { $0["id"] as? String == done })
        #expect(posted["posted_url"] as? String == "https://x.com/commandcentre/status/1870000000000000042" && posted["posted_by"] as? String == "browser test")

        for name in ["dashboard.png", "dashboard-detail.png", "dashboard-posted.png"] {
            let png = try Data(contentsOf: output.appendingPathComponent(name))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000, "\(name) is a real screenshot")
        }

        // The figures /metrics gives a Prometheus server, after real jobs.
        let metrics = try ExternalTool.run("/usr/bin/curl", ["-s", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)/metrics"]).text
        for series in [#"mediaorch_job_duration_seconds_count{template="twitter-reply",outcome="succeeded"}"#,
                       #"mediaorch_stage_duration_seconds_count{stage="reply"}"#, "mediaorch_ingest_latency_seconds_count",
                       #"mediaorch_jobs{state="running"} 1"#, "mediaorch_queue_depth"] {
            #expect(metrics.contains(series), "\(series) in /metrics")
        }
        service.terminate()
        service.waitUntilExit()
        #expect(service.terminationReason == .exit, "SIGTERM drains and exits")
    }

    @Test func anUploaderSendsAClipWithItsTicketAndCaptionsFromTheBrowser() throws {
        let ws = try TestPaths.scratch("browser/upload-workspace")
        let output = try TestPaths.scratch("browser/upload-screens")
        let token = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "add", "--role", "uploader", "--name", "field team", "--workspace", ws.path])
            .text.trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try TestPaths.freePort()
        let service = try WatchServiceTests.startWatch(ws, ["--port", String(port)], http: true)
        defer { if service.isRunning { service.terminate(); service.waitUntilExit() } }

        let fields = #"{"up-handle": "@sarabashiri", "up-tweet": "1620000000000000001", "up-speaker": "Abu", "up-camp": "Kakuma", "up-consent": true, "up-burn": "en", "up-template": "twitter-reply-fast"}"#
        let check = try ExternalTool.run("python3", [TestPaths.packageRoot.appendingPathComponent("scripts/dashboard-check.py").path,
                                                     "http://127.0.0.1:\(port)/#token=\(token)", output.appendingPathComponent("upload.png").path,
                                                     "--upload", TestPaths.sample("kakuma_portrait.mov"), "--upload-captions", TestPaths.sample("abu.en.srt"),
                                                     "--upload-fields", fields])
        #expect(check.status == 0, "\(check.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: check.stdout) as? [String: Any])
        #expect(report["upload_form_shown"] as? Bool == true && report["board_hidden"] as? Bool == true, "an uploader sees the form, not the queue")
        #expect((report["upload_result"] as? String)?.contains("is in the inbox") == true, "\(report)")

        let jobs = try Self.wait(ws, timeout: 60) { l in l.contains { $0["state"] as? String == "succeeded" } }
        let job = try #require(jobs.first { $0["source_name"] as? String == "kakuma_portrait.mov" })
        #expect(job["state"] as? String == "succeeded" && job["template"] as? String == "twitter-reply-fast")
        let ticket = try #require(try JSONSerialization.jsonObject(with: Data((job["ticket_json"] as? String ?? "").utf8)) as? [String: Any])
        #expect((ticket["speaker"] as? [String: Any])?["camp"] as? String == "Kakuma")
        #expect((ticket["speaker"] as? [String: Any])?["consent"] as? Bool == true)
        #expect((ticket["reply_to"] as? [String: Any])?["tweet_id"] as? String == "1620000000000000001")
        let captions = try #require(ticket["captions"] as? [[String: Any]])
        // The uploader's own caption file, under its prefix (up-<token id>-abu.en.srt).
        let captionFile = try #require(captions.first?["file"] as? String)
        #expect(captionFile.hasPrefix("up-") && captionFile.hasSuffix("-abu.en.srt"), "\(captionFile)")
        #expect(captions.first?["language"] as? String == "en" && captions.first?["burn"] as? Bool == true)
        let archived = ws.appendingPathComponent(try #require(job["archive_path"] as? String)).path // relative to the workspace
        #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: archived).deletingLastPathComponent().appendingPathComponent(captionFile).path),
                "the captions travelled with the clip into the archive")
        #expect(try Data(contentsOf: URL(fileURLWithPath: archived)) == Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("kakuma_portrait.mov"))))
    }

    @Test func aTakenPortIsRefusedWithAMessageAProducerCanActOn() throws {
        let ws = try TestPaths.scratch("browser/port-taken")
        let port = try TestPaths.freePort()
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = ["-c", "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); print('ready', flush=True); time.sleep(60)"]
        let ready = Pipe()
        listener.standardOutput = ready
        try listener.run()
        defer { kill(listener.processIdentifier, SIGKILL); listener.waitUntilExit() }
        _ = ready.fileHandleForReading.availableData // "ready": the port is taken
        let run = try ExternalTool.run(TestPaths.mediaorch, ["watch", "--workspace", ws.path, "--templates", TestPaths.jobs.path, "--port", String(port)])
        #expect(run.status != 0)
        #expect(run.stderr.contains("127.0.0.1:\(port): is already in use") && run.stderr.contains("--no-http"), "\(run.stderr)")
    }
}
