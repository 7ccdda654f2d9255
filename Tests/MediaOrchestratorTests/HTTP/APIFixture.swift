import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
@testable import MediaOrchestrator

/// A workspace with a job in each interesting state, a token for every role, and the API over it.
struct APIFixture {
    let workspace: Workspace
    let store: JobStore
    let activity = JobActivity()
    let links = DownloadLinks()
    var tokens: [AccessRole: String] = [:]
    /// Uploader tokens scoped to one camp, by camp.
    var fieldTokens: [String: String] = [:]
    /// A Kakuma reply request still to film.
    let openRequest: String
    /// Finished, failed for good; its ticket names abu.en.srt and camp Kakuma.
    let deadJob: String
    let runningJob: String
    /// Finished; its outbox holds reply.mp4, thumb-320.jpg, captions.en.srt, a hidden partial and a symlink.
    let succeededJob: String
    /// A bts cut waiting, camp Shatila.
    let queuedJob: String

    static let replyBytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    init(_ name: String) throws {
        let root = try TestPaths.scratch("http/\(name)")
        let workspace = Workspace(root: root)
        let store = try workspace.openStore()
        self.workspace = workspace
        self.store = store
        var tokens: [AccessRole: String] = [:]
        for role in AccessRole.allCases { tokens[role] = try store.addToken(role: role, name: role.rawValue).token }
        self.tokens = tokens
        // Field teams: an uploader token scoped to each camp.
        for camp in ["Kakuma", "Shatila"] { fieldTokens[camp] = try store.addToken(role: .uploader, name: "field \(camp)", camp: camp).token }
        openRequest = try store.createRequest(.init(tweetUrl: "https://x.com/sara/status/5", tweetText: "Why?", camp: "Kakuma"), by: "producer").id

        func ticket(camp: String) -> String {
            #"{"speaker":{"name":"Abu","camp":"\#(camp)","consent":true},"reply_to":{"handle":"@sara"},"captions":[{"file":"abu.en.srt","language":"en","burn":true}]}"#
        }
        func archived(_ sha: String) throws -> String {
            let folder = workspace.archive.appendingPathComponent(sha)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let clip = folder.appendingPathComponent("clip-\(sha).mp4")
            try Data("original".utf8).write(to: clip)
            try Data("1\n00:00:00,000 --> 00:00:02,000\nHello\n".utf8).write(to: folder.appendingPathComponent("abu.en.srt"))
            return clip.path
        }
        func job(_ letter: String, template: String = "twitter-reply", camp: String = "Kakuma", priority: JobPriority = .realtime) throws -> String {
            let sha = String(repeating: letter, count: 64)
            return try store.enqueue(.init(sourceName: "clip-\(letter).mp4", sourceSha256: sha, archivePath: try archived(sha), template: template,
                                           priority: priority, ticketJson: ticket(camp: camp))).job.id
        }
        let deadJob = try job("a")
        let deadClaim = try store.claim(worker: "w1", lease: 30)!
        try store.finish(deadClaim, .failed(reason: "clip-a.mp4: not a media file libav can read", permanent: true))
        let succeededJob = try job("c")
        let doneClaim = try store.claim(worker: "w1", lease: 30)!
        try store.finish(doneClaim, .succeeded)
        let runningJob = try job("b")
        _ = try store.claim(worker: "w1", lease: 600)
        let queuedJob = try job("d", template: "bts-cut", camp: "Shatila", priority: .background)
        (self.deadJob, self.succeededJob, self.runningJob, self.queuedJob) = (deadJob, succeededJob, runningJob, queuedJob)

        let outbox = try workspace.outbox(for: succeededJob)
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        try Self.replyBytes.write(to: outbox.appendingPathComponent("reply.mp4"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: outbox.appendingPathComponent("thumb-320.jpg"))
        try Data("1\n00:00:00,000 --> 00:00:02,000\nHello\n".utf8).write(to: outbox.appendingPathComponent("captions.en.srt"))
        try Data("half".utf8).write(to: outbox.appendingPathComponent(".bts.mp4.partial-1-2"))
        // Planted links must not lead out of outbox/: one to the store, one to a system file.
        try FileManager.default.createSymbolicLink(atPath: outbox.appendingPathComponent("leak.sqlite").path, withDestinationPath: workspace.storePath)
        try FileManager.default.createSymbolicLink(atPath: outbox.appendingPathComponent("passwd.txt").path, withDestinationPath: "/etc/passwd")
        // A job folder that is itself a link elsewhere.
        try FileManager.default.createSymbolicLink(atPath: workspace.outbox.appendingPathComponent(runningJob).path, withDestinationPath: workspace.archive.path)
    }

    var server: APIServer { APIServer(workspace: workspace, store: store, activity: activity, links: links) }

    func test<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: server.router())
        return try await app.test(.router, body)
    }

    func headers(_ role: AccessRole?) -> HTTPFields {
        guard let role else { return [:] }
        return [.authorization: "Bearer \(tokens[role]!)"]
    }

    /// Where a file `name` that `role`'s token sent lands in the inbox (UploaderFile).
    func inboxName(_ name: String, by role: AccessRole) throws -> String {
        UploaderFile.inboxName(name, uploader: try store.authenticate(tokens[role]!)!.id)
    }

    /// Where a file `name` that a camp's field token sent lands in the inbox.
    func inboxName(_ name: String, camp: String) throws -> String {
        UploaderFile.inboxName(name, uploader: try store.authenticate(fieldTokens[camp]!)!.id)
    }

    /// A camp's field token.
    func headers(camp: String) -> HTTPFields {
        [.authorization: "Bearer \(fieldTokens[camp]!)"]
    }

    /// The API on a real socket (HEAD, PATCH and streamed bodies as a client sends them).
    func live<Value>(_ server: APIServer? = nil, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: (server ?? self.server).router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live, body)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }
    var object: [String: Any] { ((try? json()) as? [String: Any]) ?? [:] }
    var array: [[String: Any]] { ((try? json()) as? [[String: Any]]) ?? [] }
    var errorMessage: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? "" }
}

extension ByteBuffer {
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}
