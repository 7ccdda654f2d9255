import Foundation
import Transcode

/// One render made while its upload arrives, in the workspace's arriving/<upload id>/ folder,
/// shared by every node: `claim` (held by the node rendering it, touched while it renders),
/// `render/` (the render child's staging folder), then `done.json` (what the job's attempt needs
/// to take the reply over) or `failed.txt` (why not; the job then renders as usual).
struct ArrivingRender: Sendable {
    let folder: URL

    init(workspace: Workspace, upload id: String) {
        folder = workspace.arriving.appendingPathComponent(id)
    }

    init(folder: URL) { self.folder = folder }

    var claim: URL { folder.appendingPathComponent("claim") }
    var render: URL { folder.appendingPathComponent("render") }
    var done: URL { folder.appendingPathComponent("done.json") }
    var failed: URL { folder.appendingPathComponent("failed.txt") }

    /// What the attempt checks before it takes the reply over: the same source bytes, the same
    /// render asked for, and the render's own report.
    struct Done: Codable, Sendable {
        var sourceSha256: String
        var replyKey: String
        var report: RenderReport
    }

    /// Takes the render for this node: false when another node (or an earlier pass) has it.
    func take() -> Bool {
        try? FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        return mkdir(folder.path, 0o700) == 0
    }

    /// Tells other nodes the render is alive.
    func touch() { utimes(claim.path, nil) }

    func markClaimed(by node: String) throws {
        try DurableFile.write(Data(node.utf8), to: claim.path)
    }

    func record(_ done: Done) throws {
        try DurableFile.write(try JSONCoding.encoder().encode(done), to: self.done.path)
    }

    func recordFailure(_ reason: String) {
        try? DurableFile.write(Data(reason.utf8), to: failed.path)
    }

    func finished() -> Done? {
        FileManager.default.contents(atPath: done.path).flatMap { try? JSONCoding.decoder().decode(Done.self, from: $0) }
    }

    /// Still rendering: claimed, neither done nor failed, and touched within `alive` seconds.
    func isRendering(alive: TimeInterval = 15) -> Bool {
        guard !FileManager.default.fileExists(atPath: done.path), !FileManager.default.fileExists(atPath: failed.path),
              let touched = (try? FileManager.default.attributesOfItem(atPath: claim.path))?[.modificationDate] as? Date else { return false }
        return Date().timeIntervalSince(touched) < alive
    }
}
