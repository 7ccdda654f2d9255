import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

/// The command centre's reply requests over the API: made from a pasted tweet address, listed
/// per camp, seen by a camp's field token only while its camp still has to film them.
@Suite struct RequestAPITests {
    static let request = #"{"tweet_url": "https://twitter.com/Sara_K/status/1861234567890123456?s=20&t=abc", "tweet_text": "How do families in Kakuma get water?", "camp": "Kakuma", "languages": ["ar", "en"], "priority": "realtime", "note": "Film at the tap stand", "deadline": "2099-01-01T18:00:00Z"}"#

    @Test func aProducerMakesARequestFromATweetAddress() async throws {
        let f = try APIFixture("requests-made")
        try await f.test { client in
            let made = try await client.execute(uri: "/api/requests", method: .post, headers: f.headers(.producer), body: .json(Self.request))
            #expect(made.status == .created)
            let id = try #require(made.object["id"] as? String)
            #expect(made.headers[.location] == "/api/requests/\(id)")
            #expect(made.object["handle"] as? String == "@Sara_K")
            #expect(made.object["tweet_id"] as? String == "1861234567890123456")
            #expect(made.object["tweet_url"] as? String == "https://x.com/Sara_K/status/1861234567890123456", "the query string is dropped")
            #expect(made.object["languages"] as? [String] == ["ar", "en"], "in the producer's order")
            #expect(made.object["state"] as? String == "open" && made.object["deadline"] as? String == "2099-01-01T18:00:00Z")
            #expect(made.object["created_by"] as? String == "producer")

            let shown = try await client.execute(uri: "/api/requests/\(id)", method: .get, headers: f.headers(.viewer))
            #expect(shown.status == .ok && shown.object["tweet_text"] as? String == "How do families in Kakuma get water?")
            let listed = try await client.execute(uri: "/api/requests?camp=kakuma&state=open", method: .get, headers: f.headers(.editor))
            #expect(Set(listed.array.compactMap { $0["id"] as? String }) == [id, f.openRequest])
            let none = try await client.execute(uri: "/api/requests?state=posted", method: .get, headers: f.headers(.producer))
            #expect(none.array.isEmpty)
            let badState = try await client.execute(uri: "/api/requests?state=done", method: .get, headers: f.headers(.producer))
            #expect(badState.status == .badRequest && badState.errorMessage.contains("done"))

            let cancelled = try await client.execute(uri: "/api/requests/\(id)/cancel", method: .post, headers: f.headers(.producer))
            #expect(cancelled.status == .ok && cancelled.object["state"] as? String == "cancelled")
            let again = try await client.execute(uri: "/api/requests/\(id)/cancel", method: .post, headers: f.headers(.producer))
            #expect(again.status == .conflict)
        }
    }

    @Test(arguments: [
        (#""tweet_url": "https://x.com/sara/photo/1""#, "tweet_url"),
        (#""tweet_url": "https://example.com/sara/status/1""#, "not x.com"),
        (#""tweet_url": "x.com/sara/status/1""#, "https://"),
        (#""tweet_url": "https://x.com/this_handle_is_far_too_long/status/1""#, "handle"),
        (#""tweet_url": "https://x.com/sara/status/12ab""#, "tweet id"),
        (#""tweet_text": "   ""#, "tweet_text"),
        (#""camp": "../etc""#, "camp"),
        (#""languages": ["english!"]"#, "languages"),
        (#""deadline": "tomorrow""#, "deadline"),
        (#""deadline": "2001-01-01T00:00:00Z""#, "already passed"),
        (#""priority": "urgent""#, "priority"),
    ])
    func aBadFieldIsRefusedByName(_ field: String, _ expected: String) async throws {
        // Cases run in parallel: a workspace each.
        let f = try APIFixture("requests-refused-\(field.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xFFFFFF })")
        var body = try #require(try JSONSerialization.jsonObject(with: Data(Self.request.utf8)) as? [String: Any])
        let replacement = try #require(try JSONSerialization.jsonObject(with: Data("{\(field)}".utf8)) as? [String: Any])
        body.merge(replacement) { $1 }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        try await f.test { client in
            let response = try await client.execute(uri: "/api/requests", method: .post, headers: f.headers(.producer), body: .json(json))
            #expect(response.status == .badRequest, "\(field)")
            #expect(response.errorMessage.contains(expected), "\(field): \(response.errorMessage)")
        }
        #expect(try f.store.requests().map(\.id) == [f.openRequest], "nothing stored")
    }

    @Test func aFieldTokenSeesOnlyItsCampsRequestsStillToFilm() async throws {
        let f = try APIFixture("requests-camps")
        let kakuma = try f.store.createRequest(.init(tweetUrl: "https://x.com/a/status/1", tweetText: "Kakuma one", camp: "Kakuma", note: "n"), by: "p")
        let shatila = try f.store.createRequest(.init(tweetUrl: "https://x.com/b/status/2", tweetText: "Shatila one", camp: "Shatila"), by: "p")
        let done = try f.store.createRequest(.init(tweetUrl: "https://x.com/c/status/3", tweetText: "Kakuma cancelled", camp: "Kakuma"), by: "p")
        try f.store.cancelRequest(done.id)
        try await f.test { client in
            let listed = try await client.execute(uri: "/api/requests", method: .get, headers: f.headers(camp: "Kakuma"))
            #expect(listed.status == .ok)
            #expect(Set(listed.array.compactMap { $0["id"] as? String }) == [kakuma.id, f.openRequest])
            let seen = try #require(listed.array.first { $0["id"] as? String == kakuma.id })
            #expect(seen["tweet_text"] as? String == "Kakuma one" && seen["note"] as? String == "n")
            for hidden in ["job_id", "created_by", "posted_url", "posted_by"] { #expect(seen[hidden] == nil, "\(hidden) is not for the field") }
            let otherCamp = try await client.execute(uri: "/api/requests?camp=Shatila", method: .get, headers: f.headers(camp: "Kakuma"))
            #expect(otherCamp.array.isEmpty)
            let cancelledToo = try await client.execute(uri: "/api/requests?state=cancelled", method: .get, headers: f.headers(camp: "Kakuma"))
            #expect(cancelledToo.array.isEmpty)
            for id in [shatila.id, done.id, "rq-nosuch"] {
                let one = try await client.execute(uri: "/api/requests/\(id)", method: .get, headers: f.headers(camp: "Kakuma"))
                #expect(one.status == .notFound, "\(id)")
            }
            let own = try await client.execute(uri: "/api/requests/\(kakuma.id)", method: .get, headers: f.headers(camp: "Kakuma"))
            #expect(own.status == .ok)
            // A field token makes, cancels and posts nothing.
            let make = try await client.execute(uri: "/api/requests", method: .post, headers: f.headers(camp: "Kakuma"), body: .json(Self.request))
            #expect(make.status == .forbidden)
            let cancel = try await client.execute(uri: "/api/requests/\(kakuma.id)/cancel", method: .post, headers: f.headers(camp: "Kakuma"))
            #expect(cancel.status == .forbidden)
            // Nor does it reach jobs or footage.
            for (uri, method) in [("/api/jobs", HTTPRequest.Method.get), ("/api/jobs/\(f.succeededJob)/outputs/reply.mp4", .get), ("/api/events", .get)] {
                let response = try await client.execute(uri: uri, method: method, headers: f.headers(camp: "Kakuma"))
                #expect(response.status == .forbidden, "\(uri)")
            }
            let nobody = try await client.execute(uri: "/api/requests", method: .get)
            #expect(nobody.status == .unauthorized)
        }
    }

    @Test func postingARepliesJobMovesItsRequestToPostedAndTheManifestSaysWho() async throws {
        let f = try APIFixture("requests-posted")
        let request = try f.store.createRequest(.init(tweetUrl: "https://x.com/sara/status/10", tweetText: "t", camp: "Kakuma"), by: "p")
        try f.store.database.write { tx in
            try JobStore.link(request: request.id, to: try JobStore.existingJob(f.succeededJob, in: tx), in: tx, now: Date().timeIntervalSince1970)
        }
        #expect(try f.store.request(request.id)?.state == .ready)
        let manifestPath = try f.workspace.outbox(for: f.succeededJob).appendingPathComponent("manifest.json")
        try Self.sampleManifest(jobId: f.succeededJob).write(to: manifestPath)
        try await f.test { client in
            let url = "https://x.com/command_centre/status/1870000000000000000"
            let byEditor = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/posted", method: .post, headers: f.headers(.editor), body: .json(#"{"url": "\#(url)"}"#))
            #expect(byEditor.status == .forbidden)
            let badURL = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "https://x.com/home"}"#))
            #expect(badURL.status == .badRequest && badURL.errorMessage.contains("tweet_url") == false && badURL.errorMessage.contains("/home"))
            let notReady = try await client.execute(uri: "/api/jobs/\(f.runningJob)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "\#(url)"}"#))
            #expect(notReady.status == .conflict)
            let posted = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "\#(url)?s=46"}"#))
            #expect(posted.status == .ok)
            #expect(posted.object["posted_url"] as? String == url && posted.object["posted_by"] as? String == "producer")
            let same = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "\#(url)"}"#))
            #expect(same.status == .ok, "saying it again is harmless")
            let other = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/posted", method: .post, headers: f.headers(.producer), body: .json(#"{"url": "https://x.com/x/status/5"}"#))
            #expect(other.status == .conflict && other.errorMessage.contains(url))
            let shown = try await client.execute(uri: "/api/requests/\(request.id)", method: .get, headers: f.headers(.viewer))
            #expect(shown.object["state"] as? String == "posted" && shown.object["posted_url"] as? String == url && shown.object["posted_by"] as? String == "producer")
        }
        let manifest = try JSONCoding.decoder().decode(Manifest.self, from: Data(contentsOf: manifestPath))
        #expect(manifest.posted?.url == "https://x.com/command_centre/status/1870000000000000000" && manifest.posted?.by == "producer")
        #expect(try f.store.job(f.succeededJob)?.manifestSha256 == ContentDigest.sha256(path: manifestPath.path), "the store knows the rewritten manifest")
        #expect(throws: OrchestratorError.self) { try f.store.retry(f.succeededJob) }
    }

    static func sampleManifest(jobId: String) throws -> Data {
        let manifest = Manifest(jobId: jobId, template: "twitter-reply", createdAt: Date(timeIntervalSince1970: 1_796_000_000),
                                source: .init(name: "clip.mp4", sha256: String(repeating: "c", count: 64), container: "mov", duration: 4, bytes: 10,
                                              video: "h264", audio: "aac", identifyingTagsRemoved: []),
                                ticket: nil, outputs: [], thumbnails: [], captions: [], stageSeconds: [:], postDraft: nil,
                                readyToPost: true, notReadyReasons: [])
        return try JSONCoding.encoder().encode(manifest)
    }
}
