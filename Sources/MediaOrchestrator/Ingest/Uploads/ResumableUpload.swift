import Foundation

/// One tus upload as it is kept on disk beside its bytes (uploads/<id>.info, uploads/<id>.bin):
/// what it will become, who may resume it, until when.
struct ResumableUpload: Sendable, Codable, Equatable {
    var id: String
    /// The whole file's size in bytes, as declared at creation; nil while deferred (a proxy the
    /// phone is still making tells it with its last bytes: tus creation-defer-length).
    var length: Int64?
    /// The bytes received, written durably and answered to the client: a render reading the
    /// upload as it arrives reads no further (bytes beyond may still be cut off). nil on records
    /// from before renders read uploads as they arrive.
    var acknowledged: Int64?
    var metadata: UploadMetadata
    var destination: UploadDestination
    /// The name of the token that made it (for the log and the page).
    var createdBy: String
    /// The id of the token that made it: its inbox name carries it (UploaderFile), and its
    /// allowance counts it. nil only on records from before uploads were named per uploader.
    var uploader: String?
    var createdAt: Double
    /// Pushed back by every PATCH: an upload that keeps moving never expires.
    var expiresAt: Double
    /// The inbox name the whole file is being handed over as: written before the hand-off
    /// starts, so a crash half way is finished, never repeated under another name.
    var handingOffAs: String?
    /// Set once the clip and its ticket are in the inbox.
    var completed = false

    /// The most bytes it may still grow to: its length, or while deferred the ceiling of a proxy.
    var ceiling: Int64 { length ?? Self.proxyCeiling }

    /// A proxy made on a phone is about 3 Mb/s for at most 140 s (about 53 MB); this leaves room
    /// for a phone that makes it larger, and is what a deferred upload is charged at creation.
    static let proxyCeiling: Int64 = 256 << 20

    /// Upload ids are 32 lowercase hex digits (128 random bits); nothing else names a file.
    static func isValidId(_ id: String) -> Bool {
        id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func newId() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
