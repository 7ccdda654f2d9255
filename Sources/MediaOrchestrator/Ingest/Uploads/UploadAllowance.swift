import Foundation
import Transcode

/// What one token may upload (Docs/api-and-webhooks.md, "What a client may send"): a few resumable uploads unfinished at once, and
/// so many bytes a day, so that a lost or hostile phone cannot fill the disk or the uploads/
/// folder for every camp. The day's count is kept per token in allowance/<token id>.json,
/// changed under an flock(2), so the nodes sharing a workspace count together.
public struct UploadAllowance: Sendable {
    /// Unfinished tus uploads one token may have at once.
    public var uploadsInFlight: Int
    /// Bytes one token may send in a day (UTC), tus lengths and PUT bodies together.
    public var bytesPerDay: Int64

    public init(uploadsInFlight: Int = 4, bytesPerDay: Int64 = 16 << 30) {
        self.uploadsInFlight = max(1, uploadsInFlight)
        self.bytesPerDay = max(1, bytesPerDay)
    }

    struct Ledger: Codable { var day: String; var bytes: Int64 }

    /// Counts `bytes` against the token's day, or refuses (429) when that would go past the
    /// allowance. Blocking file work: call off the cooperative pool.
    func charge(_ bytes: Int64, to token: String, in folder: URL, now: Date = Date()) throws {
        try withLedger(of: token, in: folder, now: now) { ledger in
            let (total, overflow) = ledger.bytes.addingReportingOverflow(max(0, bytes))
            guard !overflow, total <= bytesPerDay else { throw refusal(used: ledger.bytes) }
            ledger.bytes = total
        }
    }

    /// Gives back `bytes` counted too many: a proxy is charged the most it may be at creation,
    /// and the rest is given back once its length is told.
    func refund(_ bytes: Int64, to token: String, in folder: URL, now: Date = Date()) throws {
        try withLedger(of: token, in: folder, now: now) { ledger in ledger.bytes = max(0, ledger.bytes - max(0, bytes)) }
    }

    /// Refuses (429) when the token has already used its day's bytes.
    func checkRemaining(for token: String, in folder: URL, now: Date = Date()) throws {
        try withLedger(of: token, in: folder, now: now) { ledger in
            guard ledger.bytes < bytesPerDay else { throw refusal(used: ledger.bytes) }
        }
    }

    private func refusal(used: Int64) -> OrchestratorError {
        OrchestratorError(subject: "upload allowance", "this token has sent \(used >> 20) MiB today, and may send \(bytesPerDay >> 20) MiB a day; "
                          + "ask the command centre to raise it (`mediaorch watch --upload-gib-per-day`) or send the rest tomorrow (UTC)",
                          kind: .tooMany).coded("daily-allowance")
    }

    private func withLedger(of token: String, in folder: URL, now: Date, _ change: (inout Ledger) throws -> Void) throws {
        guard token.count <= 64, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw OrchestratorError(subject: token, "is not a token id")
        }
        let ledgers = folder
        try? FileManager.default.createDirectory(at: ledgers, withIntermediateDirectories: true)
        let path = ledgers.appendingPathComponent("\(token).json").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OrchestratorError(subject: "upload allowance", "cannot open its ledger: \(String(cString: strerror(errno)))", permanent: false) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw OrchestratorError(subject: "upload allowance", "cannot lock its ledger", permanent: false) }
        let day = Self.day(now)
        let recorded = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Ledger.self, from: $0) }
        var ledger = recorded.flatMap { $0.day == day ? $0 : nil } ?? Ledger(day: day, bytes: 0)
        let before = ledger.bytes
        try change(&ledger)
        guard ledger.bytes != before || recorded?.day != day else { return }
        // Written through the locked descriptor: the lock stays on the one file every node opens.
        let data = try JSONEncoder().encode(ledger)
        guard ftruncate(fd, 0) == 0, data.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == data.count, fsync(fd) == 0 else {
            throw OrchestratorError(subject: "upload allowance", "cannot write its ledger: \(String(cString: strerror(errno)))", permanent: false)
        }
    }

    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
