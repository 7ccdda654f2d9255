import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import TestSupport
@testable import MediaOrchestrator

/// Signed webhooks against a receiver the test runs on loopback: each event reaches the
/// endpoints that want it, signed as Standard Webhooks says, retried with backoff until the
/// receiver answers 2xx, and every delivery is visible in the API.
@Suite struct WebhookTests {
    /// What the receiver got, and what it answers next (200 once the list is used up).
    final class Receiver: Sendable {
        struct Got: Sendable { let headers: [String: String]; let body: String }
        private let state = Mutex<(got: [Got], answers: [Int])>(([], []))
        init(answers: [Int]) { state.withLock { $0.answers = answers } }
        var got: [Got] { state.withLock { $0.got } }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.post("hook") { request, _ in
                var request = request
                let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let status = self.state.withLock { state in
                    state.got.append(Got(headers: headers, body: body))
                    return state.answers.isEmpty ? 200 : state.answers.removeFirst()
                }
                return Response(status: .init(code: status))
            }
            return router
        }
    }

    /// An HTTP client for the delivery service, shut down however the body ends.
    static func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Checks a signature the way a receiver would, with Python's hmac (an implementation other than ours).
    static func verify(_ got: Receiver.Got, secret: String) throws -> Bool {
        let script = """
            import base64, hmac, hashlib, sys
            secret, msg_id, ts, sig, body = sys.argv[1:6]
            key = base64.b64decode(secret.removeprefix("whsec_"))
            expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
            print("ok" if sig == "v1," + expected else "bad")
            """
        let result = try ExternalTool.run("python3", ["-c", script, secret, got.headers["webhook-id"] ?? "", got.headers["webhook-timestamp"] ?? "",
                                                      got.headers["webhook-signature"] ?? "", got.body])
        return result.text.trimmingCharacters(in: .whitespacesAndNewlines) == "ok"
    }

    @Test func eventsAreSignedRetriedWithBackoffAndVisibleInTheAPI() async throws {
        let f = try APIFixture("webhooks")
        let receiver = Receiver(answers: [500, 503])
        let app = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            let all = try f.store.addWebhook(url: "http://127.0.0.1:\(port)/hook")
            let readyOnly = try f.store.addWebhook(url: "http://127.0.0.1:\(port)/hook", events: ["job.ready"])
            #expect(all.secret.hasPrefix("whsec_") && all.secret != readyOnly.secret)
            let request = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/42", tweetText: "Water?", camp: "Kakuma"), by: "producer")

            let service = WebhookDeliveryService(store: f.store, logger: Logger(label: "test"))
            try await Self.withClient { client in
            let t0 = Date()
            #expect(try await service.deliverDue(client: client, now: t0) == 1, "request.created, for the endpoint of every event only")
            var delivery = try #require(try f.store.webhookDeliveries(event: "request.created").first)
            #expect(delivery.state == "pending" && delivery.attempts == 1 && delivery.lastStatus == 500)
            #expect(delivery.nextAttemptAt >= t0.timeIntervalSince1970 + 5, "retried later, not at once")
            #expect(try await service.deliverDue(client: client, now: t0.addingTimeInterval(1)) == 0, "nothing is due during the backoff")
            #expect(try await service.deliverDue(client: client, now: t0.addingTimeInterval(6)) == 1)
            delivery = try #require(try f.store.webhookDeliveries(event: "request.created").first)
            #expect(delivery.attempts == 2 && delivery.lastStatus == 503 && delivery.nextAttemptAt >= t0.timeIntervalSince1970 + 36)
            #expect(try await service.deliverDue(client: client, now: t0.addingTimeInterval(40)) == 1)
            delivery = try #require(try f.store.webhookDeliveries(event: "request.created").first)
            #expect(delivery.state == "delivered" && delivery.attempts == 3 && delivery.lastStatus == 200)

            let got = receiver.got
            #expect(got.count == 3)
            #expect(Set(got.map { $0.headers["webhook-id"] ?? "" }) == [delivery.id], "the same message id on every retry")
            for one in got { #expect(try Self.verify(one, secret: all.secret), "signature of \(one.headers["webhook-timestamp"] ?? "")") }
            #expect(try !Self.verify(got[0], secret: readyOnly.secret), "another endpoint's secret does not verify it")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(got[0].body.utf8)) as? [String: Any])
            #expect(body["type"] as? String == "request.created" && (body["timestamp"] as? String)?.hasSuffix("Z") == true)
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["id"] as? String == request.id && data["camp"] as? String == "Kakuma" && data["handle"] as? String == "@sara")

            // A job's life: a failed try, then ready, then posted; each to the endpoints that want it.
            try f.store.enqueue(.init(sourceName: "water.mp4", sourceSha256: String(repeating: "e", count: 64), archivePath: "/nowhere/water.mp4",
                                      template: "twitter-reply", priority: .realtime, ticketJson: #"{"speaker":{"name":"Amani","consent":true}}"#))
            let claim = try #require(try f.store.claim(worker: "w", lease: 30))
            #expect(claim.job.template == "twitter-reply")
            try f.store.finish(claim, .failed(reason: "disk hiccup", permanent: false))
            try f.store.retry(claim.job.id)
            let again = try #require(try f.store.claim(worker: "w", lease: 30))
            #expect(try f.store.publish(again, manifestSha256: "0", editorsCut: nil))
            _ = try f.store.markPosted(again.job.id, url: "https://x.com/cc/status/99", by: "producer")
            let later = t0.addingTimeInterval(100)
            #expect(try await service.deliverDue(client: client, now: later) == 4, "job.failed, job.ready twice (two endpoints), reply.posted")
            let events = try f.store.webhookDeliveries().map { "\($0.event)@\($0.endpointId)" }.sorted()
            #expect(events == ["job.failed@\(all.id)", "job.ready@\(all.id)", "job.ready@\(readyOnly.id)", "reply.posted@\(all.id)", "request.created@\(all.id)"].sorted())
            let posted = try #require(receiver.got.first { $0.body.contains("\"reply.posted\"") })
            #expect(posted.body.contains("https://x.com/cc/status/99") && posted.body.contains(claim.job.id))
            }
        }
        // Visible to the command centre, secrets never shown; not to an editor.
        try await f.test { client in
            let listed = try await client.execute(uri: "/api/webhooks/deliveries?state=delivered", method: .get, headers: f.headers(.producer))
            #expect(listed.status == .ok && listed.array.count == 5)
            #expect(listed.array.contains { $0["event"] as? String == "request.created" && $0["attempts"] as? Int == 3 && $0["last_status"] as? Int == 200 })
            let endpoints = try await client.execute(uri: "/api/webhooks", method: .get, headers: f.headers(.producer))
            #expect(endpoints.array.count == 2 && !endpoints.text.contains("whsec_"))
            let editor = try await client.execute(uri: "/api/webhooks/deliveries", method: .get, headers: f.headers(.editor))
            #expect(editor.status == .forbidden)
        }
    }

    @Test func aReceiverThatKeepsFailingIsGivenUpAfterTheLastRetry() async throws {
        let f = try APIFixture("webhooks-give-up")
        let receiver = Receiver(answers: [500, 502, 500, 500])
        let app = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            _ = try f.store.addWebhook(url: "http://127.0.0.1:\(port)/hook", events: ["request.created"])
            _ = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/43", tweetText: "Food?", camp: "Shatila"), by: "producer")
            var schedule = WebhookRetrySchedule()
            schedule.delays = [1, 2]
            let service = WebhookDeliveryService(store: f.store, schedule: schedule, logger: Logger(label: "test"))
            let t0 = Date()
            try await Self.withClient { client in
                for offset in [0.0, 1.5, 4.0, 100.0] { _ = try await service.deliverDue(client: client, now: t0.addingTimeInterval(offset)) }
            }
            let delivery = try #require(try f.store.webhookDeliveries().first)
            #expect(delivery.state == "failed" && delivery.attempts == 3, "three tries, then given up: \(delivery)")
            #expect(delivery.lastStatus == 500 && delivery.lastError?.contains("500") == true)
            #expect(receiver.got.count == 3, "nothing is sent once given up")
        }
    }
}
