import CAV
import Foundation

/// A SHA-1 or SHA-256 fed piece by piece (libavutil's), for checksums of bytes as they arrive
/// over the network: a resumable upload's chunk is checked without holding it in memory.
/// Fed by one caller at a time (a request's body, one buffer after another), possibly from
/// different threads of the blocking-work pool: hence unchecked Sendable.
public final class StreamingDigest: @unchecked Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1, sha256
        var bits: Int32 { self == .sha1 ? 160 : 256 }
    }

    public let algorithm: Algorithm
    private let context: OpaquePointer

    public init(_ algorithm: Algorithm) {
        guard let context = av_sha_alloc() else { fatalError("av_sha_alloc: out of memory") }
        av_sha_init(context, algorithm.bits)
        self.algorithm = algorithm
        self.context = context
    }

    deinit { av_free(UnsafeMutableRawPointer(context)) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        av_sha_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// The digest; the object is spent afterwards.
    public func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(algorithm.bits / 8))
        av_sha_final(context, &digest)
        return digest
    }
}
