import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

@Suite struct OutputAPITests {
    @Test func downloadsWholeFilesAndRangesWithTheirContentTypes() async throws {
        let f = try APIFixture("outputs-range")
        let base = "/api/jobs/\(f.succeededJob)/outputs"
        try await f.test { client in
            let whole = try await client.execute(uri: "\(base)/reply.mp4", method: .get, headers: f.headers(.editor))
            #expect(whole.status == .ok)
            #expect(whole.headers[.contentType] == "video/mp4" && whole.headers[.acceptRanges] == "bytes")
            #expect(Data(buffer: whole.body) == APIFixture.replyBytes)

            var range = f.headers(.editor)
            range[.range] = "bytes=100-199"
            let part = try await client.execute(uri: "\(base)/reply.mp4", method: .get, headers: range)
            #expect(part.status == .partialContent)
            #expect(part.headers[.contentRange] == "bytes 100-199/4096")
            #expect(Data(buffer: part.body) == APIFixture.replyBytes[100..<200])

            range[.range] = "bytes=-16"
            let tail = try await client.execute(uri: "\(base)/reply.mp4", method: .get, headers: range)
            #expect(tail.status == .partialContent && Data(buffer: tail.body) == APIFixture.replyBytes.suffix(16))

            range[.range] = "bytes=4000-"
            let open = try await client.execute(uri: "\(base)/reply.mp4", method: .get, headers: range)
            #expect(open.headers[.contentRange] == "bytes 4000-4095/4096" && open.body.readableBytes == 96)

            range[.range] = "bytes=5000-"
            let past = try await client.execute(uri: "\(base)/reply.mp4", method: .get, headers: range)
            #expect(past.status == .rangeNotSatisfiable && past.headers[.contentRange] == "bytes */4096")

            let srt = try await client.execute(uri: "\(base)/captions.en.srt", method: .get, headers: f.headers(.editor))
            #expect(srt.status == .ok && srt.headers[.contentType] == "application/x-subrip")
            let jpeg = try await client.execute(uri: "\(base)/thumb-320.jpg", method: .get, headers: f.headers(.producer))
            #expect(jpeg.headers[.contentType] == "image/jpeg")

            let list = try await client.execute(uri: base, method: .get, headers: f.headers(.editor)).array
            #expect(list.first { $0["name"] as? String == "reply.mp4" }?["bytes"] as? Int == 4096)
        }
    }

    @Test func noRequestReachesAFileOutsideTheJobsOutbox() async throws {
        let f = try APIFixture("outputs-traversal")
        let base = "/api/jobs/\(f.succeededJob)/outputs"
        try await f.test { client in
            let attempts = [
                "\(base)/..%2F..%2Fjobs.sqlite", "\(base)/..%2f..%2fjobs.sqlite", "\(base)/%2E%2E%2F%2E%2E%2Fjobs.sqlite",
                "\(base)/..", "\(base)/%2Fetc%2Fpasswd", "\(base)/%2e%2e", "\(base)/reply.mp4%00.jpg",
                "\(base)/leak.sqlite", "\(base)/passwd.txt", "\(base)/.bts.mp4.partial-1-2",
                "/api/jobs/..%2F..%2Farchive/outputs/clip.mp4", "/api/jobs/%2Fetc/outputs/passwd",
                "/api/jobs/\(f.runningJob)/outputs/clip-bbb.mp4", // its outbox folder is a link into archive/
                "/api/jobs/..%2Farchive%2F\(String(repeating: "a", count: 64))/outputs/abu.en.srt",
                "/api/jobs/\(f.succeededJob)/outputs/../../jobs.sqlite",
            ]
            for uri in attempts {
                let response = try await client.execute(uri: uri, method: .get, headers: f.headers(.producer))
                #expect([400, 404].contains(response.status.code), "\(uri): \(response.status)")
                #expect(!response.text.contains("SQLite format") && !response.text.contains("root:"), "\(uri) leaked a file")
            }
            let list = try await client.execute(uri: "/api/jobs/\(f.runningJob)/outputs", method: .get, headers: f.headers(.producer))
            #expect(list.array.isEmpty, "a linked job folder lists nothing")
        }
    }

    @Test func signedLinksOpenOneFileForALimitedTime() async throws {
        let f = try APIFixture("outputs-links")
        try await f.test { client in
            let list = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/outputs", method: .get, headers: f.headers(.editor)).array
            let link = try #require(list.first { $0["name"] as? String == "reply.mp4" }?["url"] as? String)
            let fetched = try await client.execute(uri: link, method: .get, headers: [.range: "bytes=0-9"])
            #expect(fetched.status == .partialContent && Data(buffer: fetched.body) == APIFixture.replyBytes.prefix(10))

            let otherFile = link.replacingOccurrences(of: "reply.mp4", with: "captions.en.srt")
            let refused = try await client.execute(uri: otherFile, method: .get)
            #expect(refused.status == .unauthorized && refused.errorMessage.contains("not made for this file"))
            let tampered = String(link.dropLast()) + (link.hasSuffix("0") ? "1" : "0")
            #expect(try await client.execute(uri: tampered, method: .get).status == .unauthorized)
            let path = "/api/jobs/\(f.succeededJob)/outputs/reply.mp4"
            let expired = f.links.sign(path: path, now: Date().addingTimeInterval(-3 * f.links.lifetime))
            #expect(try await client.execute(uri: expired, method: .get).status == .unauthorized)
            // A link signed by another server (another key) is worthless here…
            #expect(try await client.execute(uri: DownloadLinks().sign(path: path), method: .get).status == .unauthorized)
            // …and a stale link with a token that may not download is still refused.
            #expect(try await client.execute(uri: expired, method: .get, headers: f.headers(.viewer)).status == .forbidden)
            #expect(try await client.execute(uri: expired, method: .get, headers: f.headers(.editor)).status == .ok)
        }
    }
}
