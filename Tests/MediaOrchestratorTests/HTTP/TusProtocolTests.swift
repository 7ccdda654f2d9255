import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import Transcode
@testable import MediaOrchestrator

/// tus 1.0.0 at /api/tus/, rule by rule, against the API on a real socket: status codes and
/// headers as a tus client reads them.
@Suite struct TusProtocolTests {
    static let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 13) })

    static func metadata(_ pairs: [String: String]) -> String {
        pairs.keys.sorted().map { "\($0) \(Data(pairs[$0]!.utf8).base64EncodedString())" }.joined(separator: ",")
    }

    static func tus(_ base: HTTPFields, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = base
        fields[.tusResumable] = "1.0.0"
        for field in extra { fields[field.name] = field.value }
        return fields
    }

    static func digest(_ algorithm: StreamingDigest.Algorithm, _ data: Data) -> String {
        let d = StreamingDigest(algorithm)
        data.withUnsafeBytes { d.update($0) }
        return "\(algorithm.rawValue) \(Data(d.finish()).base64EncodedString())"
    }

    /// Creates an upload of `length` bytes against a fresh Kakuma request; returns its path and the request.
    static func create(_ f: APIFixture, _ client: any TestClientProtocol, length: Int = bytes.count, name: String = "abu.mp4") async throws -> (String, ReplyRequest) {
        let request = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/77", tweetText: "Water?", camp: "Kakuma", languages: ["en"]), by: "p")
        let response = try await client.execute(uri: "/api/tus/", method: .post, headers: tus(f.headers(camp: "Kakuma"), [
            .uploadLength: String(length), .uploadMetadata: metadata(["filename": name, "request": request.id, "speaker": "Abu Omar", "consent": "true"]),
        ]))
        #expect(response.status == .created, "\(response.text)")
        return (try #require(response.headers[.location]), request)
    }

    @Test func optionsTellsVersionExtensionsMaxSizeAndChecksumsWithoutAToken() async throws {
        let f = try APIFixture("tus-options")
        try await f.live { client in
            let response = try await client.execute(uri: "/api/tus/", method: .options)
            #expect(response.status == .noContent)
            #expect(response.headers[.tusResumable] == "1.0.0" && response.headers[.tusVersion] == "1.0.0")
            let extensions: Set<String> = Set((response.headers[.tusExtension] ?? "").split(separator: ",").map(String.init))
            let expected: Set<String> = ["creation", "creation-with-upload", "creation-defer-length", "expiration", "checksum", "termination"]
            #expect(extensions == expected)
            #expect(Int64(response.headers[.tusMaxSize] ?? "") == 4 << 30)
            #expect(response.headers[.tusChecksumAlgorithm] == "sha1,sha256")
        }
    }

    @Test func anotherProtocolVersionIs412AndNoTokenIs401() async throws {
        let f = try APIFixture("tus-version")
        try await f.live { client in
            var headers = f.headers(camp: "Kakuma")
            headers[.tusResumable] = "0.2.2"
            headers[.uploadLength] = "10"
            let old = try await client.execute(uri: "/api/tus/", method: .post, headers: headers)
            #expect(old.status == .preconditionFailed && old.headers[.tusVersion] == "1.0.0" && old.headers[.tusResumable] == "1.0.0")
            headers[.tusResumable] = nil
            let none = try await client.execute(uri: "/api/tus/", method: .post, headers: headers)
            #expect(none.status == .preconditionFailed)
            let anonymous = try await client.execute(uri: "/api/tus/", method: .post, headers: Self.tus([.uploadLength: "10"]))
            #expect(anonymous.status == .unauthorized)
            let viewer = try await client.execute(uri: "/api/tus/", method: .post, headers: Self.tus(f.headers(.viewer), [.uploadLength: "10"]))
            #expect(viewer.status == .forbidden)
        }
    }

    @Test func creationAnswers201WithLocationAndExpiryAndRefusesBadLengthsAndMetadata() async throws {
        let f = try APIFixture("tus-create")
        try await f.live { client in
            let (location, request) = try await Self.create(f, client)
            #expect(location.hasPrefix("/api/tus/") && location.count == "/api/tus/".count + 32)
            #expect(try f.store.request(request.id)?.state == .uploading, "the request shows the camp is sending its clip")
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.status == .ok && head.headers[.uploadOffset] == "0" && head.headers[.uploadLength] == String(Self.bytes.count))
            #expect(head.headers[.cacheControl] == "no-store" && head.headers[.uploadExpires]?.hasSuffix("GMT") == true)
            #expect(head.headers[.uploadMetadata]?.contains("filename \(Data("abu.mp4".utf8).base64EncodedString())") == true)

            let h = Self.tus(f.headers(camp: "Kakuma"))
            let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
                ([:], .badRequest, "Upload-Length"),
                ([.uploadLength: "-5"], .badRequest, "Upload-Length"),
                ([.uploadLength: String(Int64(5) << 30), .uploadMetadata: Self.metadata(["filename": "a.mp4"])], .contentTooLarge, "4096 MiB"),
                ([.uploadLength: "10", .uploadMetadata: "filename !!!"], .badRequest, "filename"),
                ([.uploadLength: "10", .uploadMetadata: Self.metadata(["filename": "notes.exe"])], .badRequest, "filename"),
                ([.uploadLength: "10", .uploadMetadata: Self.metadata(["filename": "a.mp4", "request": "rq-nosuch", "speaker": "A"])], .notFound, "rq-nosuch"),
                ([.uploadLength: "10", .uploadMetadata: Self.metadata(["filename": "a.mp4", "request": request.id])], .badRequest, "speaker"),
                ([.uploadLength: "10", .uploadMetadata: Self.metadata(["filename": "a.mp4", "ticket": #"{"speaker": {"camp": "Shatila"}}"#])], .forbidden, "Shatila"),
                ([.uploadLength: "10", .uploadMetadata: Self.metadata(["filename": "a.mp4", "ticket": #"{"template": 5}"#])], .badRequest, "template"),
                ([.uploadLength: "10", .uploadDeferLength: "1"], .badRequest, "Upload-Defer-Length"),
            ]
            for (extra, status, mention) in cases {
                var headers = h
                for field in extra { headers[field.name] = field.value }
                let response = try await client.execute(uri: "/api/tus/", method: .post, headers: headers)
                #expect(response.status == status, "\(extra): \(response.text)")
                #expect(response.text.contains(mention), "\(extra): \(response.text)")
                #expect(response.headers[.tusResumable] == "1.0.0")
            }
            // Another camp's field token cannot upload against Kakuma's request.
            let other = try await client.execute(uri: "/api/tus/", method: .post, headers: Self.tus(f.headers(camp: "Shatila"), [
                .uploadLength: "10", .uploadMetadata: Self.metadata(["filename": "a.mp4", "request": request.id, "speaker": "A"]),
            ]))
            #expect(other.status == .notFound)
        }
    }

    @Test func patchAppendsAtTheOffsetAnd409sAWrongOne() async throws {
        let f = try APIFixture("tus-patch")
        try await f.live { client in
            let (location, _) = try await Self.create(f, client)
            let h = Self.tus(f.headers(camp: "Kakuma"), [.contentType: "application/offset+octet-stream"])
            var first = h
            first[.uploadOffset] = "0"
            let one = try await client.execute(uri: location, method: .patch, headers: first, body: ByteBuffer(bytes: Self.bytes.prefix(100_000)))
            #expect(one.status == .noContent && one.headers[.uploadOffset] == "100000" && one.headers[.uploadExpires] != nil)
            let wrong = try await client.execute(uri: location, method: .patch, headers: first, body: ByteBuffer(bytes: Self.bytes.prefix(10)))
            #expect(wrong.status == .conflict && wrong.headers[.uploadOffset] == "100000")
            var noType = first
            noType[.contentType] = "application/octet-stream"
            noType[.uploadOffset] = "100000"
            let type = try await client.execute(uri: location, method: .patch, headers: noType, body: ByteBuffer(bytes: Self.bytes.prefix(10)))
            #expect(type.status == .unsupportedMediaType)
            var tooLong = h
            tooLong[.uploadOffset] = "100000"
            let past = try await client.execute(uri: location, method: .patch, headers: tooLong, body: ByteBuffer(bytes: Self.bytes + Self.bytes))
            #expect(past.status == .contentTooLarge)
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.headers[.uploadOffset] == "100000", "a refused PATCH changes nothing")
            // Another camp does not see it at all; a bad id is no upload.
            let stranger = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Shatila")))
            #expect(stranger.status == .notFound)
            for id in ["../jobs.sqlite", "0123", String(repeating: "G", count: 32)] {
                let bad = try await client.execute(uri: "/api/tus/\(id)", method: .head, headers: Self.tus(f.headers(.producer)))
                #expect(bad.status == .notFound, "\(id)")
            }
        }
    }

    @Test func aChecksumMismatchIs460AndDropsTheChunkAMatchKeepsIt() async throws {
        let f = try APIFixture("tus-checksum")
        try await f.live { client in
            let (location, _) = try await Self.create(f, client)
            var h = Self.tus(f.headers(camp: "Kakuma"), [.contentType: "application/offset+octet-stream", .uploadOffset: "0"])
            let chunk = Self.bytes.prefix(150_000)
            for algorithm in StreamingDigest.Algorithm.allCases {
                h[.uploadChecksum] = Self.digest(algorithm, Data(Self.bytes.suffix(10)))
                let bad = try await client.execute(uri: location, method: .patch, headers: h, body: ByteBuffer(bytes: chunk))
                #expect(bad.status.code == 460, "\(algorithm)")
                #expect(bad.headers[.uploadOffset] == "0")
            }
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.headers[.uploadOffset] == "0", "a mismatched chunk leaves the offset where it was")
            h[.uploadChecksum] = "md5 AAAA"
            let unknown = try await client.execute(uri: location, method: .patch, headers: h, body: ByteBuffer(bytes: chunk))
            #expect(unknown.status == .badRequest)
            h[.uploadChecksum] = Self.digest(.sha256, Data(chunk))
            let good = try await client.execute(uri: location, method: .patch, headers: h, body: ByteBuffer(bytes: chunk))
            #expect(good.status == .noContent && good.headers[.uploadOffset] == "150000")
            h[.uploadOffset] = "150000"
            h[.uploadChecksum] = Self.digest(.sha1, Data(Self.bytes.suffix(from: 150_000)))
            let last = try await client.execute(uri: location, method: .patch, headers: h, body: ByteBuffer(bytes: Self.bytes.suffix(from: 150_000)))
            #expect(last.status == .noContent && last.headers[.uploadOffset] == String(Self.bytes.count))
        }
        let clip = f.workspace.inbox.appendingPathComponent(try f.inboxName("abu.mp4", camp: "Kakuma"))
        #expect(try Data(contentsOf: clip) == Self.bytes)
    }

    @Test func theLastByteHandsTheClipToTheInboxWithATicketBuiltFromTheRequest() async throws {
        let f = try APIFixture("tus-complete")
        try await f.live { client in
            let response = try await client.execute(uri: "/api/tus/", method: .post, headers: Self.tus(f.headers(camp: "Kakuma"), [
                .uploadLength: String(Self.bytes.count), .contentType: "application/offset+octet-stream",
                .uploadMetadata: Self.metadata(["filename": "../../abu.mp4", "speaker": "Abu Omar", "consent": "true",
                                                "captions": #"[{"file": "abu.en.srt", "language": "en", "burn": true}]"#]),
            ]), body: ByteBuffer(bytes: Self.bytes))
            #expect(response.status == .created && response.headers[.uploadOffset] == String(Self.bytes.count), "creation-with-upload, whole at once")
            let location = try #require(response.headers[.location])
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.status == .ok && head.headers[.uploadOffset] == String(Self.bytes.count), "a client that lost the answer learns it arrived")
            let delete = try await client.execute(uri: location, method: .delete, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(delete.status == .conflict, "a clip already handed over is not taken back")
        }
        #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(try f.inboxName("abu.mp4", camp: "Kakuma"))) == Self.bytes, "the name is reduced to a plain one")
        let ticket = try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("abu.job.json", camp: "Kakuma")).path)
        #expect(ticket.speaker == Ticket.Speaker(name: "Abu Omar", camp: "Kakuma", consent: true), "an unrequested clip is its token's camp's")
        #expect(ticket.captions?.first?.file == (try f.inboxName("abu.en.srt", camp: "Kakuma")), "the captions are the uploader's own files")
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.workspace.uploads.path).filter { $0.hasSuffix(".bin") }.isEmpty)
    }

    @Test func aRequestsTicketCarriesTheTweetTheSpeakerAndTheRequestAndIngestLinksTheJob() async throws {
        let f = try APIFixture("tus-request")
        let (location, request) = try await f.live { client in
            let (location, request) = try await Self.create(f, client, name: "kakuma-abu.mp4")
            let patch = try await client.execute(uri: location, method: .patch, headers: Self.tus(f.headers(camp: "Kakuma"), [
                .contentType: "application/offset+octet-stream", .uploadOffset: "0"]), body: ByteBuffer(bytes: Self.bytes))
            #expect(patch.status == .noContent)
            return (location, request)
        }
        _ = location
        let ticket = try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("kakuma-abu.job.json", camp: "Kakuma")).path)
        #expect(ticket.request == request.id && ticket.replyTo == Ticket.ReplyTarget(tweetId: "77", handle: "@sara"))
        #expect(ticket.speaker == Ticket.Speaker(name: "Abu Omar", camp: "Kakuma", consent: true) && ticket.priority == .realtime)
        let ingestor = Ingestor(workspace: f.workspace, store: f.store, templates: TemplateLibrary(folder: nil), logger: .init(label: "test"))
        guard case .queued(let jobId) = try ingestor.ingest(try f.inboxName("kakuma-abu.mp4", camp: "Kakuma")) else { Issue.record("not queued"); return }
        let linked = try #require(try f.store.request(request.id))
        #expect(linked.jobId == jobId && linked.state == .rendering)
        // The request follows its job: dead → failed, retried → rendering.
        let claim = try #require(try f.store.claim(worker: "w", lease: 30))
        #expect(claim.job.id == jobId, "a realtime reply is claimed before the fixture's bts cut")
        try f.store.finish(claim, .failed(reason: "broken", permanent: true))
        #expect(try f.store.request(request.id)?.state == .failed)
        try f.store.retry(jobId)
        #expect(try f.store.request(request.id)?.state == .rendering)
    }

    @Test func terminationRemovesTheUploadAndOpensItsRequestAgain() async throws {
        let f = try APIFixture("tus-delete")
        try await f.live { client in
            let (location, request) = try await Self.create(f, client)
            let delete = try await client.execute(uri: location, method: .delete, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(delete.status == .noContent && delete.headers[.tusResumable] == "1.0.0")
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.status == .notFound)
            #expect(try f.store.request(request.id)?.state == .open)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.workspace.uploads.path).isEmpty)
    }

    @Test func anExpiredUploadIsGoneAndSweptAndItsRequestOpensAgain() async throws {
        let f = try APIFixture("tus-expiry")
        try await f.live { client in
            let (location, request) = try await Self.create(f, client)
            let id = String(location.split(separator: "/").last!)
            let folder = UploadFolder(workspace: f.workspace)
            var upload = try #require(try folder.load(id))
            upload.expiresAt = Date().timeIntervalSince1970 - 1
            try folder.save(upload)
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.status == .gone)
            let removed = await UploadSweepService.sweep(folder, store: f.store, logger: .init(label: "test"))
            #expect(removed == 1)
            let after = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(after.status == .notFound)
            #expect(try f.store.request(request.id)?.state == .open)
        }
    }

    @Test func aSecondPatchWhileOneIsWritingGets423AndNeverCorruptsTheFile() async throws {
        let f = try APIFixture("tus-lock")
        var server = f.server
        server.uploadLockWait = 0.3
        try await f.live(server) { client in
            let (location, _) = try await Self.create(f, client)
            let id = String(location.split(separator: "/").last!)
            // Another writer (another PATCH, here or in another process) holds the upload's lock.
            let held = try #require(try await UploadFolder(workspace: f.workspace).lock(id, wait: 0))
            let h = Self.tus(f.headers(camp: "Kakuma"), [.contentType: "application/offset+octet-stream", .uploadOffset: "0"])
            let blocked = try await client.execute(uri: location, method: .patch, headers: h, body: ByteBuffer(bytes: Self.bytes.prefix(1000)))
            #expect(blocked.status.code == 423 && blocked.headers[.tusResumable] == "1.0.0")
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.status.code == 423)
            held.release()
            let free = try await client.execute(uri: location, method: .patch, headers: h, body: ByteBuffer(bytes: Self.bytes.prefix(1000)))
            #expect(free.status == .noContent && free.headers[.uploadOffset] == "1000")
        }
    }

    @Test func bytesBeforeADroppedConnectionAreKeptAndSurviveARestart() async throws {
        let f = try APIFixture("tus-drop")
        let location = try await f.live { client in try await Self.create(f, client).0 }
        // A PATCH that promises the whole file, sends 120 kB and loses its connection.
        try await f.live { client in
            let port = try #require(client.port)
            let file = try TestPaths.scratch("http/tus-drop-bytes").appendingPathComponent("clip.bin")
            try Self.bytes.write(to: file)
            let sent = try ExternalTool.run("/usr/bin/python3", ["-c", """
                import socket, sys
                s = socket.create_connection(("127.0.0.1", \(port)))
                head = ("PATCH \(location) HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer \(f.fieldTokens["Kakuma"]!)\\r\\n"
                        "Tus-Resumable: 1.0.0\\r\\nUpload-Offset: 0\\r\\nContent-Type: application/offset+octet-stream\\r\\n"
                        "Content-Length: \(Self.bytes.count)\\r\\n\\r\\n")
                s.sendall(head.encode())
                s.sendall(open(sys.argv[1], "rb").read()[:120000])
                s.close()
                print("sent")
                """, file.path])
            #expect(sent.text.contains("sent"))
            var offset = ""
            for _ in 0..<200 {
                let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
                offset = head.headers[.uploadOffset] ?? ""
                if offset == "120000" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(offset == "120000", "what arrived before the drop is kept")
        }
        // A new server over the same workspace (the service restarted) resumes from there.
        try await f.live(APIServer(workspace: f.workspace, store: f.store, activity: JobActivity(), links: f.links)) { client in
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.headers[.uploadOffset] == "120000")
            let rest = try await client.execute(uri: location, method: .patch, headers: Self.tus(f.headers(camp: "Kakuma"), [
                .contentType: "application/offset+octet-stream", .uploadOffset: "120000"]), body: ByteBuffer(bytes: Self.bytes.suffix(from: 120_000)))
            #expect(rest.status == .noContent)
        }
        #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(try f.inboxName("abu.mp4", camp: "Kakuma"))) == Self.bytes)
    }

    @Test func anUploadWholeButNeverHandedOverReachesTheInboxAfterACrash() async throws {
        let f = try APIFixture("tus-settle")
        let folder = UploadFolder(workspace: f.workspace)
        try await f.live { client in
            // The process died after the last byte was written, before the hand-off.
            let (location, request) = try await Self.create(f, client, name: "late.mp4")
            let id = String(location.split(separator: "/").last!)
            try Self.bytes.write(to: URL(fileURLWithPath: folder.dataPath(id)))
            let head = try await client.execute(uri: location, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(head.status == .ok && head.headers[.uploadOffset] == String(Self.bytes.count))
            #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(try f.inboxName("late.mp4", camp: "Kakuma"))) == Self.bytes, "HEAD finished the hand-off")
            #expect(try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("late.job.json", camp: "Kakuma")).path).request == request.id)
            #expect(try folder.load(id)?.completed == true)

            // It died after the rename into the inbox, before its record said so: the sweep finishes the record.
            let (second, _) = try await Self.create(f, client, name: "later.mp4")
            let secondId = String(second.split(separator: "/").last!)
            var upload = try #require(try folder.load(secondId))
            upload.handingOffAs = "later.mp4"
            try folder.save(upload)
            try Self.bytes.write(to: f.workspace.inbox.appendingPathComponent("later.mp4"))
            unlink(folder.dataPath(secondId))
            _ = await UploadSweepService.sweep(folder, store: f.store, logger: .init(label: "test"))
            #expect(try folder.load(secondId)?.completed == true)
            let again = try await client.execute(uri: second, method: .head, headers: Self.tus(f.headers(camp: "Kakuma")))
            #expect(again.headers[.uploadOffset] == String(Self.bytes.count))
        }
    }

    @Test func uploadMetadataParsesPairsAndRefusesBrokenOnes() throws {
        let parsed = try UploadMetadata(header: "filename YWJ1Lm1wNA==, consent dHJ1ZQ==,empty")
        #expect(parsed["filename"] == "abu.mp4" && parsed["consent"] == "true" && parsed["empty"] == "")
        for broken in ["filename ***", "filename YQ== extra", "a YQ==,a YQ==", "bad/key YQ=="] {
            #expect(throws: OrchestratorError.self, "\(broken)") { try UploadMetadata(header: broken) }
        }
    }
}
