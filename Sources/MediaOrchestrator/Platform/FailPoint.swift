import Foundation

/// Named places where the process can be made to die on purpose, for crash tests:
/// `MEDIAORCH_FAILPOINT=publish.after-commit mediaorch watch` kills itself (SIGKILL, as a power
/// cut or the OOM killer would) the first time it gets there. A test then restarts the service
/// and checks that nothing was lost and nothing was done twice (FoundationDB and fail-rs work so).
public enum FailPoint: String, CaseIterable, Sendable {
    /// The ingest intent is stored; the clip is still in the inbox.
    case ingestAfterIntent = "ingest.after-intent"
    /// The clip is in archive/, its sidecars not yet, its job not yet queued.
    case ingestAfterArchiveMove = "ingest.after-archive-move"
    /// The clip and sidecars are archived; the job is not yet queued.
    case ingestAfterSidecars = "ingest.after-sidecars"
    /// The job is queued; the intent is gone in the same transaction.
    case ingestAfterQueue = "ingest.after-queue"
    /// A worker holds a lease; no render has started.
    case claimAfterClaim = "claim.after-claim"
    /// The render child finished its staging folder; nothing is published.
    case publishBeforeCommit = "publish.before-commit"
    /// The store says published; the staging folder is not yet renamed into outbox/.
    case publishAfterCommit = "publish.after-commit"
    /// The outbox folder is in place; the old one (a re-run's) not yet removed.
    case publishAfterRename = "publish.after-rename"
    /// A failed attempt's outcome is recorded; its staging folder not yet removed.
    case finishAfterFailure = "finish.after-failure"
    /// Inside the render child, halfway through the reply (a crash of libav on a bad file).
    case renderMidway = "render.midway"
    /// Inside the render child, halfway through the reply: stops making progress (a hang).
    case renderHang = "render.hang"

    /// One armed point: `name`, `name:SIGNAL` (KILL by default; SEGV or ABRT for a crash as
    /// libav would have one) and `@file` to fire only for that source clip.
    struct Arming: Sendable {
        var signal: Int32
        var onlyFor: String?
    }

    /// The points armed in this process, from MEDIAORCH_FAILPOINT (comma-separated).
    static let armed: [String: Arming] = {
        var points: [String: Arming] = [:]
        for entry in (ProcessInfo.processInfo.environment["MEDIAORCH_FAILPOINT"] ?? "").split(separator: ",") {
            var text = entry.trimmingCharacters(in: .whitespaces)
            var onlyFor: String? = nil
            if let at = text.firstIndex(of: "@") { onlyFor = String(text[text.index(after: at)...]); text = String(text[..<at]) }
            var signal = SIGKILL
            if let colon = text.firstIndex(of: ":") {
                switch text[text.index(after: colon)...].uppercased() {
                case "SEGV", "SIGSEGV": signal = SIGSEGV
                case "ABRT", "SIGABRT": signal = SIGABRT
                default: signal = SIGKILL
                }
                text = String(text[..<colon])
            }
            points[text] = Arming(signal: signal, onlyFor: onlyFor)
        }
        return points
    }()

    /// Dies here when this point is armed (for this file, if it names one); otherwise nothing.
    public func reached(file: String? = nil) {
        guard let arming = Self.armed[rawValue] else { return }
        if let only = arming.onlyFor, only != file { return }
        let line = "mediaorch: fail point \(rawValue) reached (MEDIAORCH_FAILPOINT)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        if self == .renderHang {
            while true { sleep(3600) }
        }
        signal(arming.signal, SIG_DFL)
        kill(getpid(), arming.signal)
    }
}
