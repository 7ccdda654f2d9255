import Foundation
import Transcode

/// Gives one uploader's files their names in the inbox one at a time: a PUT and a tus hand-off of
/// the same name, at the same moment, each check the names and place a ticket and a clip as one
/// step, under an flock(2) on the uploader's lock file (shared by every node on the workspace).
/// So a ticket beside a clip is always the one placed with it or sent for it, never another
/// upload's that happened to be placed a moment before. Nothing is ever replaced: the clip of
/// the two that comes second gets a name of its own.
struct InboxPlacement {
    let inbox: URL
    let locks: URL

    init(workspace: Workspace) {
        inbox = workspace.inbox
        locks = workspace.inboxLocks
    }

    /// Runs `body` holding `uploader`'s placement lock (nil: files with no uploader, one lock for
    /// all of them). Blocking: call off the cooperative pool.
    func holding<T>(_ uploader: String?, _ body: () throws -> T) throws -> T {
        try? FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true)
        let path = locks.appendingPathComponent("\(uploader ?? "unattributed").lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OrchestratorError(subject: "inbox", "cannot open its placement lock: \(String(cString: strerror(errno)))", permanent: false) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw OrchestratorError(subject: "inbox", "cannot take its placement lock", permanent: false) }
        }
        return try body()
    }

    /// Whether neither `name` nor its ticket's name is taken in the inbox.
    func isFree(_ name: String) -> Bool {
        !FileManager.default.fileExists(atPath: inbox.appendingPathComponent(name).path)
            && !FileManager.default.fileExists(atPath: inbox.appendingPathComponent(InboxScanner.ticketName(for: name)).path)
    }

    /// `name`, or when it is taken, the same name made unique with `tag` (and a counter).
    func freeName(_ name: String, tag: String, isFree: (String) -> Bool) -> String? {
        if isFree(name) { return name }
        let ext = (name as NSString).pathExtension, base = (name as NSString).deletingPathExtension
        for round in 0..<16 {
            let candidate = round == 0 ? "\(base)-\(tag).\(ext)" : "\(base)-\(tag)-\(round).\(ext)"
            if isFree(candidate) { return candidate }
        }
        return nil
    }
}
