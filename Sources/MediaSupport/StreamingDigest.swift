import Crypto
import Foundation

/// A SHA-1 or SHA-256 fed piece by piece, for checksums of bytes as they arrive over the
/// network: a resumable upload's chunk is checked without holding it in memory. Fed by one
/// caller at a time (a request's body, one buffer after another), possibly from different
/// threads of the blocking-work pool: hence unchecked Sendable.
public final class StreamingDigest: @unchecked Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1, sha256
    }

    public let algorithm: Algorithm
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        switch algorithm {
        case .sha1: sha1.update(bufferPointer: bytes)
        case .sha256: sha256.update(bufferPointer: bytes)
        }
    }

    /// The digest; the object is spent afterwards.
    public func finish() -> [UInt8] {
        switch algorithm {
        case .sha1: Array(sha1.finalize())
        case .sha256: Array(sha256.finalize())
        }
    }
}
