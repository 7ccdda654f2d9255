import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

@Suite struct UploadAPITests {
    @Test func uploadsATicketCaptionsAndAClipIntoTheInbox() async throws {
        let f = try APIFixture("uploads")
        let clip = try Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("shatila_landscape.mp4")))
        try await f.test { client in
            let ticket = #"{"template": "twitter-reply", "speaker": {"name": "Layla", "camp": "Shatila", "consent": true}, "captions": [{"file": "layla.en.srt", "language": "en", "burn": true}]}"#
            let t = try await client.execute(uri: "/api/uploads/layla.job.json", method: .put, headers: f.headers(.uploader), body: ByteBuffer(string: ticket))
            #expect(t.status == .created && t.object["kind"] as? String == "ticket")
            let c = try await client.execute(uri: "/api/uploads/layla.en.srt", method: .put, headers: f.headers(.uploader),
                                             body: ByteBuffer(string: "1\n00:00:00,500 --> 00:00:02,000\nWe are here.\n"))
            #expect(c.status == .created && c.object["kind"] as? String == "captions")
            let v = try await client.execute(uri: "/api/uploads/layla.mp4", method: .put, headers: f.headers(.uploader), body: ByteBuffer(bytes: clip))
            #expect(v.status == .created && v.object["bytes"] as? Int == clip.count)
            let clipName = try f.inboxName("layla.mp4", by: .uploader)
            #expect(v.object["file"] as? String == clipName, "the receipt names the file as the inbox holds it")
            #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(clipName)) == clip)
            let names = try FileManager.default.contentsOfDirectory(atPath: f.workspace.inbox.path).sorted()
            #expect(names == (try ["layla.en.srt", "layla.job.json", "layla.mp4"].map { try f.inboxName($0, by: .uploader) }),
                    "no temporary file is left visible or behind; each carries its uploader")
            let filed = try Ticket.load(path: f.workspace.inbox.appendingPathComponent(try f.inboxName("layla.job.json", by: .uploader)).path)
            #expect(filed.captions?.map(\.file) == [try f.inboxName("layla.en.srt", by: .uploader)], "the ticket reaches its uploader's captions only")

            let again = try await client.execute(uri: "/api/uploads/layla.mp4", method: .put, headers: f.headers(.uploader), body: ByteBuffer(string: "other"))
            #expect(again.status == .conflict)
            #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(clipName)) == clip, "an upload never replaces one in the inbox")
            let producers = try await client.execute(uri: "/api/uploads/layla.mp4", method: .put, headers: f.headers(.producer), body: ByteBuffer(string: "other"))
            #expect(producers.status == .created, "another token's file of the same name is its own")
            #expect(try Data(contentsOf: f.workspace.inbox.appendingPathComponent(clipName)) == clip)
        }
    }

    @Test func refusesBrokenSidecarsBadNamesAndUnknownKinds() async throws {
        let f = try APIFixture("uploads-refused")
        try await f.test { client in
            let badTicket = try await client.execute(uri: "/api/uploads/abu.job.json", method: .put, headers: f.headers(.uploader),
                                                     body: ByteBuffer(string: #"{"template": "twitter reply!"}"#))
            #expect(badTicket.status == .badRequest && badTicket.errorMessage.contains("abu.job.json"))
            let badCaptions = try await client.execute(uri: "/api/uploads/abu.en.srt", method: .put, headers: f.headers(.uploader),
                                                       body: ByteBuffer(string: "1\n00:00:0X,100 --> 00:00:02,000\nHi\n"))
            #expect(badCaptions.status == .badRequest && badCaptions.errorMessage.contains("abu.en.srt line 2"))
            let kind = try await client.execute(uri: "/api/uploads/notes.exe", method: .put, headers: f.headers(.uploader), body: ByteBuffer(string: "x"))
            #expect(kind.status == .unsupportedMediaType)
            let empty = try await client.execute(uri: "/api/uploads/empty.mp4", method: .put, headers: f.headers(.uploader), body: ByteBuffer())
            #expect(empty.status == .badRequest)
            for name in ["..%2Fjobs.mp4", "%2Ftmp%2Fevil.mp4", ".hidden.mp4", "..", "a%2Fb.mp4"] {
                let response = try await client.execute(uri: "/api/uploads/\(name)", method: .put, headers: f.headers(.uploader), body: ByteBuffer(string: "x"))
                #expect([400, 404].contains(response.status.code), "\(name): \(response.status)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: f.workspace.inbox.path).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: f.workspace.root.appendingPathComponent("jobs.mp4").path))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.mp4"))
        }
    }
}
