import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

/// What a hostile client sends is refused naming what is wrong, and never reaches arithmetic, a
/// path or another uploader's file. `make attack` tries the same against a running service.
@Suite struct HostileClientTests {
    @Test func clientNumbersAreWholeAndInRangeBeforeAnyArithmetic() throws {
        #expect(try ClientNumber.parse("0005", named: "Upload-Offset", in: 0...10) == 5)
        for garbage in ["", "-1", "+5", "1e3", "0x10", "5 5", "١٢"] {
            #expect(throws: HTTPError.self, "\(garbage)") { try ClientNumber.parse(garbage, named: "Upload-Offset", in: 0...10) }
        }
        for huge in ["9223372036854775807", "9223372036854775808", String(repeating: "9", count: 40)] {
            do {
                _ = try ClientNumber.parse(huge, named: "Content-Length", in: 0...100, aboveIs: .contentTooLarge)
                Issue.record("\(huge) was taken")
            } catch let error as HTTPError {
                #expect(error.status == .contentTooLarge && error.body?.contains("Content-Length") == true)
            }
        }
    }

    /// Offsets that are not whole numbers within the upload are refused naming the header, and the
    /// upload stands where it was. (A lying Content-Length needs a raw socket: `make attack` sends it.)
    @Test func anOffsetOutsideTheUploadIsRefusedAndTheUploadGoesOn() async throws {
        let f = try APIFixture("hostile-offset")
        try await f.live { client in
            let (location, _) = try await TusProtocolTests.create(f, client, length: 100)
            let first = try await client.execute(uri: location, method: .patch, headers: TusProtocolTests.tus(f.headers(camp: "Kakuma"), [
                .contentType: "application/offset+octet-stream", .uploadOffset: "0"]), body: ByteBuffer(bytes: [7]))
            #expect(first.status == .noContent && first.headers[.uploadOffset] == "1")
            for offset in ["9223372036854775807", "-1", "1e2"] {
                let bad = try await client.execute(uri: location, method: .patch, headers: TusProtocolTests.tus(f.headers(camp: "Kakuma"), [
                    .contentType: "application/offset+octet-stream", .uploadOffset: offset]), body: ByteBuffer(bytes: [8]))
                #expect(bad.status == .badRequest && bad.text.contains("Upload-Offset"), "\(offset): \(bad.status)")
            }
            let head = try await client.execute(uri: location, method: .head, headers: TusProtocolTests.tus(f.headers(camp: "Kakuma")))
            #expect(head.status == .ok && head.headers[.uploadOffset] == "1", "the upload stands where it was")
        }
    }

    @Test func ticketFieldsHaveLimitsAndRefusalsNameTheField() throws {
        let cases: [(String, String)] = [
            (#"{"reply_to": {"handle": "@\#(String(repeating: "a", count: 16))"}}"#, "reply_to.handle"),
            (#"{"reply_to": {"tweet_id": "12x"}}"#, "reply_to.tweet_id"),
            (#"{"speaker": {"name": "\#(String(repeating: "n", count: 101))"}}"#, "speaker.name"),
            (#"{"speaker": {"camp": "a/b"}}"#, "speaker.camp"),
            (#"{"captions": [{"file": "IMG_5151.mp4", "language": "en"}]}"#, "captions[0].file"),
            (#"{"captions": [{"file": "../a.srt", "language": "en"}]}"#, "captions[0].file"),
            (#"{"captions": [{"file": "a.srt", "language": "english please"}]}"#, "captions[0].language"),
            ("{\"captions\": [" + Array(repeating: #"{"file": "a.srt", "language": "en"}"#, count: 9).joined(separator: ",") + "]}", "captions"),
            (#"{"trim": {"start": 1e308, "end": -5}}"#, "trim.start"),
            (#"{"trim": {"start": 5, "end": 2}}"#, "trim.end"),
        ]
        for (json, field) in cases {
            do {
                _ = try Ticket.decode(Data(json.utf8), fileName: "t.job.json")
                Issue.record("\(field): taken")
            } catch let error as OrchestratorError {
                #expect(error.description.contains("t.job.json") && error.description.contains("'\(field)'"), "\(error)")
            }
        }
        #expect(try Ticket.decode(Data(#"{"reply_to": {"handle": "@sara_k", "tweet_id": "1620000000000000001"}}"#.utf8), fileName: "t").replyTo?.handle == "@sara_k")
    }

    @Test func inboxNamesCarryTheirUploaderAndTicketsReachOnlyTheirOwnCaptions() {
        let name = UploaderFile.inboxName("IMG_5151.mp4", uploader: "3f2a9c1b")
        #expect(name == "up-3f2a9c1b-IMG_5151.mp4")
        #expect(UploaderFile.uploader(of: name) == "3f2a9c1b" && UploaderFile.sentName(of: name) == "IMG_5151.mp4")
        for handDropped in ["20261207.mp4", "up-zzzzzzzz-a.mp4", "up-3f2a9c1b.mp4", "IMG.mp4"] {
            #expect(UploaderFile.uploader(of: handDropped) == nil, "\(handDropped)")
        }
        var ticket = Ticket()
        ticket.captions = [.init(file: "abu.en.srt", language: "en", burn: true), .init(file: "up-aaaaaaaa-x.srt", language: "ar", burn: false)]
        #expect(ticket.captionsOwned(by: "3f2a9c1b").captions?.map(\.file) == ["up-3f2a9c1b-abu.en.srt", "up-3f2a9c1b-up-aaaaaaaa-x.srt"])
    }

    @Test func aPlantedTicketAndAnotherCampsRequestReachNobodyElsesClip() async throws {
        let f = try APIFixture("hostile-planted")
        let kakuma = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/77", tweetText: "Water?", camp: "Kakuma"), by: "p")
        try await f.test { client in
            // Shatila plants a ticket for a name Kakuma will use, and one naming Kakuma's request.
            let planted = try await client.execute(uri: "/api/uploads/IMG_4242.job.json", method: .put, headers: f.headers(camp: "Shatila"),
                                                   body: ByteBuffer(string: #"{"reply_to": {"handle": "@evil", "tweet_id": "1"}}"#))
            #expect(planted.status == .created)
            let stolen = try await client.execute(uri: "/api/uploads/IMG_1.job.json", method: .put, headers: f.headers(camp: "Shatila"),
                                                  body: ByteBuffer(string: #"{"request": "\#(kakuma.id)"}"#))
            #expect(stolen.status == .notFound, "another camp's request is no request of Shatila's")
            let clip = try await client.execute(uri: "/api/uploads/IMG_4242.mp4", method: .put, headers: f.headers(camp: "Kakuma"), body: ByteBuffer(string: "clip"))
            #expect(clip.status == .created)
            // Kakuma's own ticket names its request and forges the tweet: the request's tweet wins.
            let own = try await client.execute(uri: "/api/uploads/IMG_2.job.json", method: .put, headers: f.headers(camp: "Kakuma"),
                                               body: ByteBuffer(string: #"{"request": "\#(kakuma.id)", "reply_to": {"handle": "@evil", "tweet_id": "1"}}"#))
            #expect(own.status == .created)
        }
        let kakumaTicket = try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("IMG_4242.job.json", camp: "Kakuma")).path)
        #expect(kakumaTicket.speaker?.camp == "Kakuma" && kakumaTicket.replyTo == nil, "Kakuma's clip has its own ticket, not Shatila's")
        let linked = try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("IMG_2.job.json", camp: "Kakuma")).path)
        #expect(linked.replyTo == Ticket.ReplyTarget(tweetId: "77", handle: "@sara") && linked.request == kakuma.id)
    }

    @Test func aLockOnAnUploadRemovedOrHandedOverMeanwhileIsRefused() async throws {
        let f = try APIFixture("hostile-lock")
        let folder = UploadFolder(workspace: f.workspace)
        let id = ResumableUpload.newId()
        let destination = UploadDestination(fileName: "a.mp4", ticket: Ticket(), camp: nil)
        try folder.create(ResumableUpload(id: id, length: 10, metadata: UploadMetadata(), destination: destination, createdBy: "t",
                                          uploader: "3f2a9c1b", createdAt: 0, expiresAt: 1e12))
        // A DELETE holds the lock; a last PATCH waits for it; the DELETE removes the upload and lets go.
        let delete = try #require(try await folder.lock(id, wait: 0))
        let patch = Task { () -> OrchestratorError? in
            do { _ = try await folder.lock(id, wait: 5); return nil } catch let error as OrchestratorError { return error } catch { return nil }
        }
        try await Task.sleep(for: .milliseconds(300))
        folder.remove(id)
        delete.release()
        let refused = await patch.value
        #expect(refused?.kind == .notFound, "the waiting PATCH must not write into a removed upload and answer 204")
    }
}
