import Foundation
import Testing
import TestSupport

/// The field page in a real browser at a phone's size: headless Chromium signs in with a camp's
/// token, sees only that camp's requests, sends a reply to one over a slowed link, is reloaded a
/// quarter of the way through, and carries on to a whole, byte-identical original.
/// scripts/field-page-check.py drives the page; screenshots go to test-output/field-page/screens.
@Suite(.serialized) struct FieldPageBrowserTests {
    @Test func aCampsPhoneSeesItsRequestsSendsAReplyAndCarriesOnAfterAReload() throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "scripts/bootstrap.sh installs Debian's chromium")
        let ws = try TestPaths.scratch("field-page/workspace")
        let screens = try TestPaths.scratch("field-page/screens")
        // About 12 MB: at the page's slowed 0.5 MB/s a quarter takes several seconds.
        let clip = try Fixtures.make("field-page-12mb.mp4", [
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", Fixtures.speech, "-t", "3",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "32M", "-minrate", "32M", "-maxrate", "32M", "-bufsize", "2M",
            "-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-shortest"])
        func cli(_ arguments: [String]) throws -> String {
            let run = try ExternalTool.run(TestPaths.mediaorch, arguments + ["--workspace", ws.path])
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            return run.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let field = try cli(["tokens", "add", "--role", "uploader", "--camp", "Kakuma", "--name", "kakuma phone"])
        let kakuma = try cli(["requests", "add", "--tweet-url", "https://x.com/sara_k/status/1861234567890123456", "--text",
                              "How do families in Kakuma get water?", "--camp", "Kakuma", "--languages", "en,ar",
                              "--note", "Film at the tap stand", "--deadline", "2099-01-01T12:00:00Z"])
        let shatila = try cli(["requests", "add", "--tweet-url", "https://x.com/omar/status/42", "--text", "And in Shatila?", "--camp", "Shatila"])
        let port = try TestPaths.freePort()
        let service = try WatchServiceTests.startWatch(ws, ["--workers", "1", "--port", String(port)], http: true)
        defer { if service.isRunning { service.terminate(); service.waitUntilExit() } }
        for _ in 0..<100 {
            if (try? ExternalTool.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/health"]).status) == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }

        let run = try ExternalTool.run("python3", [TestPaths.packageRoot.appendingPathComponent("scripts/field-page-check.py").path,
                                                  "http://127.0.0.1:\(port)", field, clip, screens.path])
        let seen = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.stderr.suffix(3000))")
        let requests = seen["requests"] as? [[String: Any]] ?? []
        #expect(requests.map { $0["id"] as? String } == [kakuma], "only Kakuma's request, not Shatila's (\(shatila))")
        #expect(requests.first?["text"] as? String == "How do families in Kakuma get water?")
        #expect((seen["who"] as? String)?.contains("Kakuma") == true)
        #expect(seen["token_in_address"] as? Bool == false, "the token leaves the address bar at once")
        for (step, width) in seen["widths"] as? [String: Int] ?? [:] { #expect(width <= 390, "\(step): \(width) px wide at a 390 px phone") }
        #expect((seen["before_reload"] as? Double ?? 0) >= 0.25, "the upload was a quarter through before the reload")
        #expect((seen["figures"] as? String)?.contains("MB/s") == true, "speed and time left are shown: \(seen["figures"] ?? "")")
        #expect(seen["unfinished_after_reload"] as? Bool == true, "after the reload the page offers to carry on")
        let resumed = seen["resumed"] as? String ?? ""
        let from = Double(resumed.split(separator: " ").compactMap { Double($0) }.first ?? 0)
        #expect(from > 0, "carried on from HEAD's offset, not from zero: \(resumed)")
        let final = seen["final"] as? [String: Any] ?? [:]
        #expect(final["done"] as? String == "true", "\(final)")
        #expect(seen["left_in_storage"] as? String == "{}", "a finished upload is forgotten by the phone")
        for name in ["1-requests", "2-film", "3-sending", "4-after-reload", "5-sent"] {
            #expect(FileManager.default.fileExists(atPath: screens.appendingPathComponent("\(name).png").path), "\(name).png")
        }

        // The command centre's side: the original, byte for byte, and the request following its job.
        var archived: String? = nil
        for _ in 0..<200 where archived == nil {
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: ws.appendingPathComponent("archive").path)) ?? []
            // Archived under its uploader's prefix: up-<token id>-field-page-12mb.mp4.
            archived = folders.lazy.flatMap { folder in
                ((try? FileManager.default.contentsOfDirectory(atPath: ws.appendingPathComponent("archive/\(folder)").path)) ?? [])
                    .filter { $0.hasPrefix("up-") && $0.hasSuffix("-field-page-12mb.mp4") }
                    .map { ws.appendingPathComponent("archive/\(folder)/\($0)").path }
            }.first
            if archived == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        let original = try #require(archived, "the clip reached the archive")
        #expect(try WatchServiceTests.sha256(original) == WatchServiceTests.sha256(clip))
        let listed = try JSONSerialization.jsonObject(with: Data(try cli(["requests", "list", "--json"]).utf8)) as? [[String: Any]] ?? []
        let request = try #require(listed.first { $0["id"] as? String == kakuma })
        #expect(["rendering", "ready"].contains(request["state"] as? String), "\(request)")
        #expect(request["job_id"] as? String != nil)
    }
}
