/// Where a reply request is: open (waiting for a camp to film it) → uploading → rendering →
/// ready (to post) → posted; or failed (its job died), cancelled, expired (deadline passed
/// before any clip arrived).
public enum ReplyRequestState: String, Sendable, Codable, CaseIterable {
    case open, uploading, rendering, ready, posted, failed, cancelled, expired

    /// What a camp still has to film.
    static let awaitingClip: [ReplyRequestState] = [.open, .uploading]

    /// States a producer may still cancel from.
    static let cancellable: [ReplyRequestState] = [.open, .uploading, .rendering, .failed]
}
