import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import Transcode
@testable import MediaOrchestrator

/// What a camp's phone and the command centre meet around one clip: one upload per request, the
/// whole file's SHA-256 checked at the last byte, receipts in the camp's terms, consent added
/// from the field, and a reply without consent that cannot be marked posted unless an admin
/// records why.
@Suite struct FieldReceiptTests {
    static func sha256Hex(_ data: Data) -> String {
        let digest = StreamingDigest(.sha256)
        data.withUnsafeBytes { digest.update($0) }
        return digest.finish().map { String(format: "%02x", $0) }.joined()
    }

    static func create(_ f: APIFixture, _ client: any TestClientProtocol, request: String, length: Int, sha256: String? = nil,
                       camp: String = "Kakuma") async throws -> TestResponse {
        var pairs = ["filename": "abu.mp4", "request": request, "speaker": "Abu Omar", "consent": "false"]
        if let sha256 { pairs["sha256"] = sha256 }
        return try await client.execute(uri: "/api/tus/", method: .post, headers: TusProtocolTests.tus(f.headers(camp: camp), [
            .uploadLength: String(length), .uploadMetadata: TusProtocolTests.metadata(pairs),
        ]))
    }

    static func patch(_ f: APIFixture, _ client: any TestClientProtocol, _ path: String, _ bytes: Data, at offset: Int) async throws -> TestResponse {
        try await client.execute(uri: path, method: .patch, headers: TusProtocolTests.tus(f.headers(camp: "Kakuma"), [
            .uploadOffset: String(offset), .contentType: "application/offset+octet-stream",
        ]), body: ByteBuffer(bytes: bytes))
    }

    @Test func aRequestTakesOneUploadAtATimeAndOpensAgainWhenItIsCancelled() async throws {
        let f = try APIFixture("field-one-upload")
        try await f.live { client in
            let first = try await Self.create(f, client, request: f.openRequest, length: 1000)
            #expect(first.status == .created, "\(first.text)")
            #expect(try f.store.request(f.openRequest)?.state == .uploading)
            let second = try await Self.create(f, client, request: f.openRequest, length: 1000)
            #expect(second.status == .conflict && second.headers[.mediaorchReason] == "request-busy", "\(second.status) \(second.text)")
            #expect(second.errorMessage.contains("already being sent"))

            let cancelled = try await client.execute(uri: try #require(first.headers[.location]), method: .delete,
                                                     headers: TusProtocolTests.tus(f.headers(camp: "Kakuma")))
            #expect(cancelled.status == .noContent)
            #expect(try f.store.request(f.openRequest)?.state == .open, "a cancelled upload gives its request back at once")
            let third = try await Self.create(f, client, request: f.openRequest, length: 1000)
            #expect(third.status == .created, "\(third.text)")

            try f.store.cancelRequest(f.openRequest)
            let closed = try await Self.create(f, client, request: f.openRequest, length: 1000)
            #expect(closed.status == .conflict && closed.headers[.mediaorchReason] == "request-closed", "\(closed.status) \(closed.text)")
        }
    }

    @Test func anUploadOfARevokedTokenEndsAtTheNextSweepAndItsRequestTakesAnotherPhone() async throws {
        let f = try APIFixture("field-revoked")
        let phone = try f.store.addToken(role: .uploader, name: "lost phone", camp: "Kakuma")
        try await f.live { client in
            let first = try await client.execute(uri: "/api/tus/", method: .post, headers: TusProtocolTests.tus([.authorization: "Bearer \(phone.token)"], [
                .uploadLength: "1000", .uploadMetadata: TusProtocolTests.metadata(["filename": "abu.mp4", "request": f.openRequest, "speaker": "Abu", "consent": "true"]),
            ]))
            #expect(first.status == .created, "\(first.text)")
            let folder = UploadFolder(workspace: f.workspace)
            #expect(await UploadSweepService.sweep(folder, store: f.store, logger: .init(label: "test")) == 0, "a live token's upload stays")
            try f.store.revokeToken("lost phone")
            #expect(await UploadSweepService.sweep(folder, store: f.store, logger: .init(label: "test")) == 1)
            #expect(try f.store.request(f.openRequest)?.state == .open, "the request is free for the camp's new token")
            let second = try await Self.create(f, client, request: f.openRequest, length: 1000)
            #expect(second.status == .created, "\(second.text)")
        }
    }

    @Test func theWholeFilesSHA256IsCheckedAtTheLastByteAndAMismatchStartsAgainFromZero() async throws {
        let f = try APIFixture("field-whole-sha")
        let bytes = TusProtocolTests.bytes
        try await f.live { client in
            let notHex = try await Self.create(f, client, request: f.openRequest, length: bytes.count, sha256: "xyz")
            #expect(notHex.status == .badRequest && notHex.errorMessage.contains("sha256"), "\(notHex.text)")

            let wrong = try await Self.create(f, client, request: f.openRequest, length: bytes.count, sha256: String(repeating: "0", count: 64))
            let path = try #require(wrong.headers[.location])
            // A first piece cut short by a drop is kept as far as it came (no per-chunk checksum).
            let half = try await Self.patch(f, client, path, bytes.prefix(100_000), at: 0)
            #expect(half.status == .noContent && half.headers[.uploadOffset] == "100000")
            let last = try await Self.patch(f, client, path, bytes.dropFirst(100_000), at: 100_000)
            #expect(last.status.code == 460 && last.headers[.mediaorchReason] == "whole-file-mismatch" && last.headers[.uploadOffset] == "0",
                    "\(last.status) \(last.text)")
            let head = try await client.execute(uri: path, method: .head, headers: TusProtocolTests.tus(f.headers(camp: "Kakuma")))
            #expect(head.headers[.uploadOffset] == "0", "the wrong bytes are dropped; the phone sends again from 0")
            #expect(try FileManager.default.contentsOfDirectory(atPath: f.workspace.inbox.path).filter { $0.hasSuffix(".mp4") }.isEmpty,
                    "nothing wrong reaches the inbox")

            let again = try await Self.patch(f, client, path, bytes, at: 0)
            #expect(again.status.code == 460, "still the wrong digest: \(again.status)")
            _ = try await client.execute(uri: path, method: .delete, headers: TusProtocolTests.tus(f.headers(camp: "Kakuma")))

            let right = try await Self.create(f, client, request: f.openRequest, length: bytes.count, sha256: Self.sha256Hex(bytes).uppercased())
            let rightPath = try #require(right.headers[.location], "\(right.text)")
            let whole = try await Self.patch(f, client, rightPath, bytes, at: 0)
            #expect(whole.status == .noContent && whole.headers[.uploadOffset] == String(bytes.count), "\(whole.status) \(whole.text)")
            let inbox = f.workspace.inbox.appendingPathComponent(try f.inboxName("abu.mp4", camp: "Kakuma"))
            #expect(FileManager.default.contents(atPath: inbox.path) == bytes)
        }
    }

    @Test func aCampReadsItsOwnReceiptsInItsOwnTermsAndNoJobInternals() async throws {
        let f = try APIFixture("field-receipts")
        try await f.live { client in
            let sending = try await Self.create(f, client, request: f.openRequest, length: 5000)
            let path = try #require(sending.headers[.location])
            _ = try await Self.patch(f, client, path, Data(repeating: 7, count: 1200), at: 0)

            let kakuma = try await client.execute(uri: "/api/receipts", method: .get, headers: f.headers(camp: "Kakuma"))
            #expect(kakuma.status == .ok, "\(kakuma.text)")
            let receipts = kakuma.array
            let byId = Dictionary(receipts.compactMap { r in (r["id"] as? String).map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
            let upload = try #require(byId[String(path.split(separator: "/").last!)], "\(kakuma.text)")
            #expect(upload["state"] as? String == "sending" && upload["mine"] as? Bool == true)
            #expect((upload["progress"] as? [String: Any])?["received"] as? Int == 1200 && (upload["progress"] as? [String: Any])?["total"] as? Int == 5000)
            #expect(upload["tweet_text"] as? String == "Why?" && upload["handle"] as? String == "@sara")
            #expect(byId[f.deadJob]?["state"] as? String == "film_again" && byId[f.deadJob]?["film_again_reason"] as? String == "unreadable")
            #expect(byId[f.succeededJob]?["state"] as? String == "ready")
            #expect(byId[f.runningJob]?["state"] as? String == "making")
            #expect(byId[f.queuedJob] == nil, "an editors' cut, and Shatila's, is not a Kakuma receipt")
            for receipt in receipts {
                for hidden in ["archive_path", "last_error", "attempts", "lease_owner", "source_sha256", "ticket_json"] {
                    #expect(receipt[hidden] == nil, "\(hidden) is not for the field")
                }
            }
            let shatila = try await client.execute(uri: "/api/receipts", method: .get, headers: f.headers(camp: "Shatila"))
            #expect(shatila.status == .ok && shatila.array.allSatisfy { ($0["camp"] as? String) == "Shatila" }, "\(shatila.text)")
            let viewer = try await client.execute(uri: "/api/receipts", method: .get, headers: f.headers(.viewer))
            #expect(viewer.status == .forbidden)
            let tooMany = try await client.execute(uri: "/api/receipts?limit=100000", method: .get, headers: f.headers(camp: "Kakuma"))
            #expect(tooMany.status == .badRequest || tooMany.status == .contentTooLarge)
        }
    }

    @Test func consentAddedFromTheReceiptLetsTheReplyBePosted() async throws {
        let f = try APIFixture("field-consent-later")
        let job = try Self.readyReply(f, consent: false, sha: "e")
        let url = "https://x.com/campaign/status/123"
        try await f.live { client in
            let refused = try await client.execute(uri: "/api/jobs/\(job)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "\#(url)"}"#))
            #expect(refused.status == .conflict && refused.headers[.mediaorchReason] == "no-consent", "\(refused.status) \(refused.text)")
            #expect(refused.errorMessage.contains("consent"))

            let otherCamp = try await client.execute(uri: "/api/receipts/\(job)/consent", method: .post, headers: f.headers(camp: "Shatila"))
            #expect(otherCamp.status == .notFound)
            let added = try await client.execute(uri: "/api/receipts/\(job)/consent", method: .post, headers: f.headers(camp: "Kakuma"))
            #expect(added.status == .ok && added.object["consent"] as? Bool == true, "\(added.text)")
            let record = try #require(try f.store.job(job))
            #expect(record.consentAddedBy == "field Kakuma" && record.consentAddedAt != nil)

            let posted = try await client.execute(uri: "/api/jobs/\(job)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "\#(url)"}"#))
            #expect(posted.status == .ok, "\(posted.text)")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: f.workspace.outbox(for: job).appendingPathComponent("manifest.json"))) as? [String: Any]
            let consent = (manifest?["posted"] as? [String: Any])?["consent"] as? [String: Any]
            #expect(consent?["source"] as? String == "added_later" && consent?["by"] as? String == "field Kakuma", "\(String(describing: manifest?["posted"]))")
            let late = try await client.execute(uri: "/api/receipts/\(job)/consent", method: .post, headers: f.headers(camp: "Kakuma"))
            #expect(late.status == .conflict && late.headers[.mediaorchReason] == "already-posted")
        }
    }

    @Test func onlyAnAdminMayPostWithoutConsentAndTheReasonIsKept() async throws {
        let f = try APIFixture("field-consent-override")
        let request = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/8", tweetText: "Food?", camp: "Kakuma"), by: "producer")
        let job = try Self.readyReply(f, consent: false, sha: "f", request: request.id)
        let url = "https://x.com/campaign/status/124"
        let reason = "Speaker confirmed by phone to the desk; written consent follows"
        try await f.live { client in
            let producer = try await client.execute(uri: "/api/jobs/\(job)/posted", method: .post, headers: f.headers(.producer),
                                                    body: .json(#"{"url": "\#(url)", "consent_override": "\#(reason)"}"#))
            #expect(producer.status == .forbidden, "\(producer.text)")
            let short = try await client.execute(uri: "/api/jobs/\(job)/posted", method: .post, headers: f.headers(.admin),
                                                 body: .json(#"{"url": "\#(url)", "consent_override": "ok"}"#))
            #expect(short.status == .badRequest && short.errorMessage.contains("consent_override"), "\(short.text)")
            let admin = try await client.execute(uri: "/api/jobs/\(job)/posted", method: .post, headers: f.headers(.admin),
                                                 body: .json(#"{"url": "\#(url)", "consent_override": "\#(reason)"}"#))
            #expect(admin.status == .ok, "\(admin.text)")
            #expect(admin.object["consent_override_by"] as? String == "admin" && admin.object["consent_override_reason"] as? String == reason)
            let shown = try await client.execute(uri: "/api/requests/\(request.id)", method: .get, headers: f.headers(.producer))
            #expect(shown.object["state"] as? String == "posted" && shown.object["consent_override_reason"] as? String == reason, "\(shown.text)")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: f.workspace.outbox(for: job).appendingPathComponent("manifest.json"))) as? [String: Any]
            let consent = (manifest?["posted"] as? [String: Any])?["consent"] as? [String: Any]
            #expect(consent?["source"] as? String == "admin_override" && consent?["reason"] as? String == reason && consent?["by"] as? String == "admin")
        }
    }

    @Test func aFailedRequestStaysWithItsCampToFilmAgainAndSaysWhy() async throws {
        let f = try APIFixture("field-film-again")
        let request = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/9", tweetText: "Schools?", camp: "Kakuma"), by: "producer")
        var new = JobStore.NewJob(sourceName: "long.mp4", sourceSha256: String(repeating: "9", count: 64), archivePath: "/nowhere/long.mp4",
                                  template: "twitter-reply", priority: .realtime,
                                  ticketJson: #"{"speaker":{"name":"Abu","camp":"Kakuma","consent":true},"request":"\#(request.id)"}"#)
        new.requestId = request.id
        _ = try Self.ingest(f, new)
        let claim = try #require(try f.store.claim(worker: "w", lease: 30))
        try f.store.finish(claim, .failed(reason: "long.mp4: clip is 2 min 30 s; X allows 2 min 20 s: set a trim", permanent: true))
        #expect(try f.store.request(request.id)?.state == .failed)
        try await f.live { client in
            let listed = try await client.execute(uri: "/api/requests", method: .get, headers: f.headers(camp: "Kakuma"))
            let failed = try #require(listed.array.first { $0["id"] as? String == request.id }, "\(listed.text)")
            #expect(failed["state"] as? String == "failed" && failed["film_again_reason"] as? String == "too_long")
            let retake = try await Self.create(f, client, request: request.id, length: 100)
            #expect(retake.status == .created, "a new clip may be sent for it: \(retake.text)")
        }
    }

    /// Queued as ingest queues it: through an intent, which links the job's request.
    static func ingest(_ f: APIFixture, _ job: JobStore.NewJob) throws -> String {
        let intent = IngestIntent(inboxName: job.sourceName, sha256: job.sourceSha256, archivePath: job.archivePath, sidecars: [], job: job)
        try f.store.recordIntent(intent)
        return try f.store.completeIntent(intent).job.id
    }

    /// A reply job made and published, with or without its speaker's consent on the ticket.
    static func readyReply(_ f: APIFixture, consent: Bool, sha: String, request: String? = nil) throws -> String {
        var new = JobStore.NewJob(sourceName: "clip-\(sha).mp4", sourceSha256: String(repeating: sha, count: 64), archivePath: "/nowhere/clip.mp4",
                                  template: "twitter-reply", priority: .realtime,
                                  ticketJson: #"{"speaker":{"name":"Abu","camp":"Kakuma","consent":\#(consent)}\#(request.map { #","request":"\#($0)""# } ?? "")}"#)
        new.requestId = request
        let job = try Self.ingest(f, new)
        let claim = try #require(try f.store.claim(worker: "w", lease: 30))
        #expect(claim.job.id == job)
        let outbox = try f.workspace.outbox(for: job)
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        let manifest = Manifest(jobId: job, template: "twitter-reply", createdAt: Date(),
                                source: .init(name: "clip.mp4", sha256: String(repeating: sha, count: 64), container: "mp4", duration: 5, bytes: 10,
                                              video: nil, audio: nil, identifyingTagsRemoved: []),
                                ticket: nil, outputs: [], thumbnails: [], captions: [], stageSeconds: [:], postDraft: nil,
                                readyToPost: consent, notReadyReasons: consent ? [] : ["the ticket does not record the speaker's consent"])
        let bytes = try JSONCoding.encoder().encode(manifest)
        try DurableFile.write(bytes, to: outbox.appendingPathComponent("manifest.json").path)
        #expect(try f.store.publish(claim, manifestSha256: ContentDigest.sha256(bytes: bytes), editorsCut: nil))
        return job
    }
}
