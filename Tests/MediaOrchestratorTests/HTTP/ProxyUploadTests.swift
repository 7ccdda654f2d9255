import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import Transcode
@testable import MediaOrchestrator

/// A proxy the phone makes while it sends it (tus creation-defer-length), and the camera's
/// original that follows it, as a tus client sends them: the length told with the last bytes,
/// the bytes a render may read recorded after every PATCH, the original linked to the proxy's
/// reply as its editors' cut, and the receipt saying which is in.
@Suite struct ProxyUploadTests {
    typealias T = TusProtocolTests
    static let clipId = "c1ip0123456789abcdef0123456789ab"

    static func proxyMetadata(_ request: String, clipId: String = clipId, duration: String = "4.0", extra: [String: String] = [:]) -> String {
        T.metadata(["filename": "abu-proxy.mp4", "request": request, "speaker": "Abu Omar", "consent": "true",
                    "clip_id": clipId, "clip_role": "proxy", "duration": duration].merging(extra) { $1 })
    }

    static func newRequest(_ f: APIFixture) throws -> ReplyRequest {
        try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/77", tweetText: "Water?", camp: "Kakuma", languages: ["en"]), by: "p")
    }

    @Test func aProxyDefersItsLengthUntilItsLastBytesAndTheRenderMayReadWhatWasAcknowledged() async throws {
        let f = try APIFixture("proxy-defer")
        let request = try Self.newRequest(f)
        let bytes = T.bytes
        try await f.live { client in
            let h = T.tus(f.headers(camp: "Kakuma"))
            let created = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadDeferLength: "1", .uploadMetadata: Self.proxyMetadata(request.id)]))
            #expect(created.status == .created, "\(created.text)")
            let location = try #require(created.headers[.location])
            let id = String(location.split(separator: "/").last!)
            let head = try await client.execute(uri: location, method: .head, headers: h)
            #expect(head.headers[.uploadDeferLength] == "1" && head.headers[.uploadLength] == nil && head.headers[.uploadOffset] == "0")

            var patch = T.tus(h, [.contentType: "application/offset+octet-stream", .uploadOffset: "0"])
            patch[.uploadChecksum] = T.digest(.sha256, bytes.prefix(100_000))
            let first = try await client.execute(uri: location, method: .patch, headers: patch, body: ByteBuffer(bytes: bytes.prefix(100_000)))
            #expect(first.status == .noContent && first.headers[.uploadOffset] == "100000")
            let record = try #require(try UploadFolder(workspace: f.workspace).load(id))
            #expect(record.acknowledged == 100_000 && record.length == nil)
            #expect(UploadArrival(recordPath: UploadFolder(workspace: f.workspace).infoPath(id)).look() == .arriving(acknowledged: 100_000))

            // A length shorter than what arrived, or past what a proxy may be, is refused.
            var short = T.tus(h, [.contentType: "application/offset+octet-stream", .uploadOffset: "100000", .uploadLength: "5000"])
            let tooShort = try await client.execute(uri: location, method: .patch, headers: short, body: ByteBuffer())
            #expect(tooShort.status == .badRequest && tooShort.text.contains("less than"), "\(tooShort.text)")
            short[.uploadLength] = String(ResumableUpload.proxyCeiling + 1)
            let tooLong = try await client.execute(uri: location, method: .patch, headers: short, body: ByteBuffer())
            #expect(tooLong.status == .contentTooLarge, "\(tooLong.text)")

            // The last bytes tell the length; the upload is whole and handed to ingest.
            let last = try await client.execute(uri: location, method: .patch, headers: T.tus(h, [
                .contentType: "application/offset+octet-stream", .uploadOffset: "100000", .uploadLength: String(bytes.count)]),
                body: ByteBuffer(bytes: bytes.dropFirst(100_000)))
            #expect(last.status == .noContent && last.headers[.uploadOffset] == String(bytes.count), "\(last.text)")
            let again = try await client.execute(uri: location, method: .head, headers: h)
            #expect(again.headers[.uploadLength] == String(bytes.count) && again.headers[.uploadDeferLength] == nil)
            #expect(UploadArrival(recordPath: UploadFolder(workspace: f.workspace).infoPath(id)).look() == .complete(length: Int64(bytes.count)))

            // Charged the most a proxy may be at creation; once its length is told, only that counts.
            let uploader = try #require(try f.store.authenticate(f.fieldTokens["Kakuma"]!)).id
            let ledger = try JSONSerialization.jsonObject(with: Data(contentsOf: f.workspace.allowance.appendingPathComponent("\(uploader).json"))) as? [String: Any]
            #expect((ledger?["bytes"] as? NSNumber)?.intValue == bytes.count, "\(ledger ?? [:])")
            let ticket = try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("abu-proxy.job.json", camp: "Kakuma")).path)
            #expect(ticket.clip == Ticket.Clip(id: Self.clipId, role: .proxy, replyJob: nil))
            #expect(ticket.arrival == Ticket.Arrival(upload: id, declaredDuration: 4))
            #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(try f.inboxName("abu-proxy.mp4", camp: "Kakuma"))) == bytes)
        }
    }

    @Test func whatAProxyMaySayIsCheckedBeforeAnyByte() async throws {
        let f = try APIFixture("proxy-refusals")
        let request = try Self.newRequest(f)
        try await f.live { client in
            let h = T.tus(f.headers(camp: "Kakuma"))
            let plain = T.metadata(["filename": "abu.mp4", "request": request.id, "speaker": "Abu", "consent": "true"])
            let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
                ([.uploadDeferLength: "1", .uploadMetadata: plain], .badRequest, "only a proxy"),
                ([.uploadDeferLength: "2", .uploadMetadata: Self.proxyMetadata(request.id)], .badRequest, "Upload-Defer-Length"),
                ([.uploadDeferLength: "1", .uploadLength: "10", .uploadMetadata: Self.proxyMetadata(request.id)], .badRequest, "not both"),
                ([.uploadDeferLength: "1", .uploadMetadata: Self.proxyMetadata(request.id, duration: "200")], .badRequest, "140 s"),
                ([.uploadDeferLength: "1", .uploadMetadata: Self.proxyMetadata(request.id, duration: "soon")], .badRequest, "'duration'"),
                ([.uploadDeferLength: "1", .uploadMetadata: Self.proxyMetadata(request.id, clipId: "../../etc")], .badRequest, "'clip_id'"),
                ([.uploadLength: "10", .uploadMetadata: Self.proxyMetadata(request.id, extra: ["clip_role": "thumbnail"])], .badRequest, "'clip_role'"),
                ([.uploadLength: String(ResumableUpload.proxyCeiling + 1), .uploadMetadata: Self.proxyMetadata(request.id)], .contentTooLarge, "proxy"),
                ([.uploadLength: "10", .uploadMetadata: T.metadata(["filename": "a.mp4", "clip_id": Self.clipId])], .badRequest, "'clip_role'"),
            ]
            for (extra, status, mention) in cases {
                var headers = h
                for field in extra { headers[field.name] = field.value }
                let response = try await client.execute(uri: "/api/tus/", method: .post, headers: headers)
                #expect(response.status == status, "\(extra): \(response.text)")
                #expect(response.text.contains(mention), "\(extra): \(response.text)")
            }
        }
        #expect(try UploadFolder(workspace: f.workspace).all().isEmpty, "nothing was made for a refused proxy")
    }

    @Test func theOriginalFollowsItsProxyAsTheRepliesEditorsCutAndTheReceiptSaysWhichIsIn() async throws {
        let f = try APIFixture("proxy-original")
        let request = try Self.newRequest(f)
        let proxy = T.bytes
        let original = Data(T.bytes.reversed())
        let ingestor = Ingestor(workspace: f.workspace, store: f.store, templates: TemplateLibrary(folder: nil), logger: .init(label: "test"))
        try await f.live { client in
            let h = T.tus(f.headers(camp: "Kakuma"))
            // Before any proxy's reply exists, an original for the clip has nothing to follow.
            let early = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadLength: String(original.count), .uploadMetadata: T.metadata([
                    "filename": "IMG_0042.MOV", "request": request.id, "speaker": "Abu Omar", "consent": "true",
                    "clip_id": Self.clipId, "clip_role": "original"])]))
            #expect(early.status == .conflict && early.headers[.mediaorchReason] == "no-proxy-for-original", "\(early.text)")

            let created = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadDeferLength: "1", .uploadMetadata: Self.proxyMetadata(request.id)]))
            let location = try #require(created.headers[.location])
            let sent = try await client.execute(uri: location, method: .patch, headers: T.tus(h, [
                .contentType: "application/offset+octet-stream", .uploadOffset: "0", .uploadLength: String(proxy.count)]), body: ByteBuffer(bytes: proxy))
            #expect(sent.status == .noContent)
        }
        guard case .queued(let replyJob) = try ingestor.ingest(try f.inboxName("abu-proxy.mp4", camp: "Kakuma")) else { Issue.record("proxy not queued"); return }
        #expect(try f.store.request(request.id)?.jobId == replyJob)
        try await f.live { client in
            let early = try await client.execute(uri: "/api/jobs/\(replyJob)/from-original", method: .post, headers: f.headers(.producer))
            #expect(early.status == .conflict && early.headers[.mediaorchReason] == "original-not-in", "\(early.text)")
            let field = try await client.execute(uri: "/api/jobs/\(replyJob)/from-original", method: .post, headers: f.headers(camp: "Kakuma"))
            #expect(field.status == .forbidden, "a camp cannot remake replies")
        }

        try await f.live { client in
            let h = T.tus(f.headers(camp: "Kakuma"))
            func receipt() async throws -> [String: Any] {
                let all = try await client.execute(uri: "/api/receipts", method: .get, headers: f.headers(camp: "Kakuma")).array
                    .filter { $0["request_id"] as? String == request.id }
                #expect(all.count == 1, "the original is part of its clip's receipt, not one of its own: \(all)")
                return all.first ?? [:]
            }
            var r = try await receipt()
            #expect(r["made_from"] as? String == "proxy" && r["original"] as? String == "not_sent" && r["clip_id"] as? String == Self.clipId)

            // Another clip's id is refused; the request's own clip is taken even though it is rendering.
            let wrong = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadLength: String(original.count), .uploadMetadata: T.metadata([
                    "filename": "IMG_0042.MOV", "request": request.id, "speaker": "Abu Omar", "consent": "true",
                    "clip_id": "another0123456789abcdef", "clip_role": "original"])]))
            #expect(wrong.status == .conflict, "\(wrong.text)")
            let created = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadLength: String(original.count), .uploadMetadata: T.metadata([
                    "filename": "IMG_0042.MOV", "request": request.id, "speaker": "Abu Omar", "consent": "true",
                    "clip_id": Self.clipId, "clip_role": "original", "sha256": ContentDigest.sha256(bytes: original)])]))
            #expect(created.status == .created, "\(created.text)")
            let location = try #require(created.headers[.location])
            _ = try await client.execute(uri: location, method: .patch, headers: T.tus(h, [
                .contentType: "application/offset+octet-stream", .uploadOffset: "0"]), body: ByteBuffer(bytes: original.prefix(1000)))
            r = try await receipt()
            #expect(r["original"] as? String == "sending")
            let rest = try await client.execute(uri: location, method: .patch, headers: T.tus(h, [
                .contentType: "application/offset+octet-stream", .uploadOffset: "1000"]), body: ByteBuffer(bytes: original.dropFirst(1000)))
            #expect(rest.status == .noContent, "\(rest.text)")
        }
        guard case .queued(let cutJob) = try ingestor.ingest(try f.inboxName("IMG_0042.MOV", camp: "Kakuma")) else { Issue.record("original not queued"); return }
        let cut = try #require(try f.store.job(cutJob))
        #expect(cut.template == "bts-cut" && cut.parentId == replyJob && cut.priority == JobPriority.background.rawValue)
        #expect(cut.sourceSha256 == ContentDigest.sha256(bytes: original), "the editors' cut is made from the original's bytes")
        #expect(try f.store.request(request.id)?.jobId == replyJob, "the request still follows the reply")
        try await f.live { client in
            let all = try await client.execute(uri: "/api/receipts", method: .get, headers: f.headers(camp: "Kakuma")).array
                .filter { $0["request_id"] as? String == request.id }
            #expect(all.count == 1 && all.first?["original"] as? String == "in", "\(all)")

            // A producer asks for the reply again from the original: a new reply, which the request follows.
            let remade = try await client.execute(uri: "/api/jobs/\(replyJob)/from-original", method: .post, headers: f.headers(.producer))
            #expect(remade.status == .created, "\(remade.text)")
            let newId = try #require(remade.object["id"] as? String)
            let job = try #require(try f.store.job(newId))
            #expect(job.sourceSha256 == ContentDigest.sha256(bytes: original) && job.template == TemplateLibrary.defaultTemplate && job.parentId == nil)
            #expect(try job.decodedTicket()?.clip?.role == .original)
            #expect(try f.store.request(request.id)?.jobId == newId && f.store.request(request.id)?.state == .rendering)
            let twice = try await client.execute(uri: "/api/jobs/\(replyJob)/from-original", method: .post, headers: f.headers(.producer))
            #expect(twice.status == .ok && twice.object["id"] as? String == newId, "asked twice, one job")
            let notProxy = try await client.execute(uri: "/api/jobs/\(newId)/from-original", method: .post, headers: f.headers(.producer))
            #expect(notProxy.status == .conflict && notProxy.headers[.mediaorchReason] == "not-from-proxy")
        }
    }

    @Test func anyUploadMayDeclareItsLengthToBeRenderedAsItArrives() async throws {
        let f = try APIFixture("proxy-any-duration")
        let request = try Self.newRequest(f)
        try await f.live { client in
            let h = T.tus(f.headers(camp: "Kakuma"))
            let plain = ["filename": "abu.webm", "request": request.id, "speaker": "Abu", "consent": "true"]
            let tooLong = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadLength: "10", .uploadMetadata: T.metadata(plain.merging(["duration": "700"]) { $1 })]))
            #expect(tooLong.status == .badRequest && tooLong.text.contains("600 s"), "\(tooLong.text)")
            let created = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadLength: "10", .uploadMetadata: T.metadata(plain.merging(["duration": "31.5"]) { $1 })]))
            #expect(created.status == .created, "\(created.text)")
            let id = String(try #require(created.headers[.location]).split(separator: "/").last!)
            let upload = try #require(try UploadFolder(workspace: f.workspace).load(id))
            #expect(upload.destination.ticket.arrival == Ticket.Arrival(upload: id, declaredDuration: 31.5) && upload.destination.ticket.clip == nil)
            // A ticket sent as JSON cannot say how it arrived: only the server does.
            let forged = try await client.execute(uri: "/api/tus/", method: .post, headers: T.tus(h, [
                .uploadLength: "10", .uploadMetadata: T.metadata(["filename": "b.mp4",
                    "ticket": #"{"arrival": {"upload": "00000000000000000000000000000000", "declared_duration": 5}}"#])]))
            let forgedId = String(try #require(forged.headers[.location]).split(separator: "/").last!)
            #expect(try UploadFolder(workspace: f.workspace).load(forgedId)?.destination.ticket.arrival == Ticket.Arrival(upload: forgedId, declaredDuration: nil))
        }
    }

    @Test func streamableLayoutsAreToldFromTheirFirstBytes() throws {
        let fragmented = try Fixtures.make("proxy-layout-frag.mp4", ["-f", "lavfi", "-i", "testsrc2=s=320x240:d=1", "-c:v", "libx264",
                                                                     "-movflags", "frag_keyframe+empty_moov+default_base_moof"])
        let plain = try Fixtures.make("proxy-layout-plain.mp4", ["-f", "lavfi", "-i", "testsrc2=s=320x240:d=1", "-c:v", "libx264"])
        let faststart = try Fixtures.make("proxy-layout-faststart.mp4", ["-f", "lavfi", "-i", "testsrc2=s=320x240:d=1", "-c:v", "libx264", "-movflags", "+faststart"])
        let webm = try Fixtures.make("proxy-layout.webm", ["-f", "lavfi", "-i", "testsrc2=s=320x240:d=1", "-c:v", "libvpx-vp9", "-deadline", "realtime"])
        func head(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)).prefix(64 << 10) }
        #expect(StreamableLayout(try head(fragmented)).isStreamable)
        #expect(StreamableLayout(try head(webm)).isStreamable)
        #expect(!StreamableLayout(try head(plain)).isStreamable, "its index is at its end")
        #expect(!StreamableLayout(try head(faststart)).isStreamable, "an index first, but every sample in one mdat: not fragments")
        #expect(!StreamableLayout(Data("not a video".utf8)).isStreamable)
    }
}
