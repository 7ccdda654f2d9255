import Foundation
import Transcode

/// Signed, expiring links to one output file each, so the dashboard's <img> and <video> (which
/// cannot send a bearer token) can fetch thumbnails and stream reply.mp4 with Range requests.
/// The key is made at start-up and never leaves the process: a restart ends every link.
public struct DownloadLinks: Sendable {
    private let key: [UInt8]
    public let lifetime: TimeInterval

    public init(lifetime: TimeInterval = 3600) {
        var generator = SystemRandomNumberGenerator()
        key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.lifetime = lifetime
    }

    /// `path?expires=…&signature=…`, valid for at least `lifetime` from now. The expiry is rounded
    /// up to a whole period, so the same file keeps the same link for a while and browsers cache it.
    public func sign(path: String, now: Date = Date()) -> String {
        let expires = Int(((now.timeIntervalSince1970 / lifetime).rounded(.down) + 2) * lifetime)
        return "\(path)?expires=\(expires)&signature=\(signature(path: path, expires: expires))"
    }

    public func isValid(path: String, expires: Int, signature given: String, now: Date = Date()) -> Bool {
        guard Double(expires) >= now.timeIntervalSince1970 else { return false }
        let expected = signature(path: path, expires: expires)
        // Constant time: a timing difference must not reveal how much of a guess was right.
        guard given.utf8.count == expected.utf8.count else { return false }
        return zip(given.utf8, expected.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func signature(path: String, expires: Int) -> String {
        ContentDigest.hmacSHA256(key: key, message: "\(expires)\n\(path)")
    }
}
