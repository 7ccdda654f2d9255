import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

/// What needs a real socket: the server-sent event stream, read by curl as a browser would.
@Suite struct LiveAPITests {
    @Test func theEventStreamCarriesStateChangesAndProgress() async throws {
        let f = try APIFixture("live-events")
        let app = Application(router: f.server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let url = "http://127.0.0.1:\(port)/api/events"
            let stream = try StreamingCurl(["-sN", "-H", "Authorization: Bearer \(f.tokens[.viewer]!)", "-D", "-", url])
            defer { stream.stop() }
            // Wait until the stream has subscribed, then make things happen. Generous limits: the
            // other suites keep both cores busy while this runs.
            for _ in 0..<3000 where f.activity.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(f.activity.subscriberCount == 1)
            f.activity.report(job: f.runningJob, stage: "reply", RenderProgress(fraction: 0.5, position: 5, duration: 10, estimatedSecondsLeft: 4))
            try f.store.cancel(f.queuedJob)
            f.activity.changed(try f.store.job(f.queuedJob)!)
            for _ in 0..<3000 where !(stream.text.contains("event: progress") && stream.text.contains("event: job")) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let output = stream.text
            #expect(output.lowercased().contains("content-type: text/event-stream"))
            let events = output.components(separatedBy: "\n\n")
            let progress = try #require(events.first { $0.hasPrefix("event: progress") })
            #expect(progress.contains(#""fraction":0.5"#) && progress.contains(#""job_id":"\#(f.runningJob)""#))
            let job = try #require(events.first { $0.hasPrefix("event: job") })
            #expect(job.contains(#""state":"cancelled""#) && job.contains(#""id":"\#(f.queuedJob)""#))

            let uploader = try ExternalTool.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60",
                                                                  "-H", "Authorization: Bearer \(f.tokens[.uploader]!)", url])
            #expect(uploader.text == "403")
            let nobody = try ExternalTool.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60", url])
            #expect(nobody.text == "401")
        }
    }

    @Test func theChangeFeedSeesChangesMadeByAnotherProcess() async throws {
        let f = try APIFixture("live-feed")
        let events = f.activity.subscribe()
        let feed = Task { try await JobChangeFeedService(store: f.store, activity: f.activity, interval: 0.1, logger: .init(label: "test")).run() }
        defer { feed.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        // `mediaorch jobs cancel` in its own process, as a producer at a terminal would.
        let cancel = try ExternalTool.run(TestPaths.mediaorch, ["jobs", "cancel", f.queuedJob, "--workspace", f.workspace.root.path])
        #expect(cancel.status == 0)
        // Jobs changed just before the feed started may come first; the cancel must follow.
        let seen = await withTaskGroup(of: JobRecord?.self) { group in
            group.addTask {
                for await event in events {
                    if case .job(let job) = event, job.id == f.queuedJob, job.state == .cancelled { return job }
                }
                return nil
            }
            // Generous: under a full test run the cooperative pool is shared with many suites.
            group.addTask { try? await Task.sleep(for: .seconds(60)); return nil }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        #expect(seen?.state == .cancelled, "the cancel reached the feed within 60 s")
    }

    @Test func healthAndMetricsAnswer() async throws {
        let f = try APIFixture("live-metrics")
        try await f.test { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok && health.object["status"] as? String == "ok" && health.object["running"] as? String == "1")
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: f.headers(.viewer))
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(metrics.text.contains(#"mediaorch_jobs{state="dead"} 1"#))
            #expect(metrics.text.contains(#"mediaorch_jobs{state="running"} 1"#))
            #expect(metrics.text.contains("mediaorch_queue_depth 1"))
            let openapi = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(openapi.object["openapi"] as? String == "3.1.0")
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true && page.text.contains("/dashboard.js"))
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true, "no CDN can be loaded")
            // Nothing loaded from elsewhere (an example address in a placeholder is only text).
            #expect(page.text.range(of: #"(src|href)\s*=\s*["']?(https?:)?//"#, options: .regularExpression) == nil)
        }
    }
}

/// curl reading an endless response (server-sent events) on a thread of its own, so waiting for
/// it never blocks the concurrency pool the server under test needs.
final class StreamingCurl: @unchecked Sendable { // `received` is guarded by `lock`
    private let process = Process()
    private let lock = NSLock()
    private var received = Data()

    init(_ arguments: [String]) throws {
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        process.standardOutput = pipe
        try process.run()
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { received.append(chunk) }
            }
        }
    }

    var text: String { lock.withLock { String(decoding: received, as: UTF8.self) } }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
