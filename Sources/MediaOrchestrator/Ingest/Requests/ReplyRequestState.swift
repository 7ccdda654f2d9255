/// Where a reply request is: open (waiting for a camp to film it) → uploading → rendering →
/// ready (to post) → posted; or failed (its job died), cancelled, expired (deadline passed
/// before any clip arrived).
public enum ReplyRequestState: String, Sendable, Codable, CaseIterable {
    case open, uploading, rendering, ready, posted, failed, cancelled, expired

    /// What a camp still has to film: open, being sent, or failed (its clip could not be made
    /// into a reply: the camp films it again).
    static let awaitingClip: [ReplyRequestState] = [.open, .uploading, .failed]

    /// States in which a request holds no upload and takes a new clip's.
    static let takesAnUpload: [ReplyRequestState] = [.open, .failed]

    /// States a producer may still cancel from.
    static let cancellable: [ReplyRequestState] = [.open, .uploading, .rendering, .failed]
}
