import CAV
import Foundation

/// SHA-256 of a file's content, with libavutil's implementation (no extra dependency), read in
/// 1 MiB blocks so a large original never sits in memory whole.
public enum ContentDigest {
    public static func sha256(path: String) throws -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = String(cString: strerror(errno))
            // Missing is final; a permission or I/O error may pass (a network mount coming back).
            throw TranscodeError(errno == ENOENT ? .badInput : .output, file: name, "cannot open to hash it: \(reason)")
        }
        defer { try? handle.close() }
        return try hashing { update in
            while true {
                let block: Data
                do { block = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                    throw TranscodeError(.output, file: name, "read failed while hashing: \(error.localizedDescription)")
                }
                if block.isEmpty { break }
                update(block)
            }
        }
    }

    /// SHA-256 of bytes in memory (an access token, say), as lowercase hex.
    public static func sha256(bytes: some DataProtocol) -> String {
        // The closure throws nothing, so neither does this.
        (try? hashing { update in update(Data(bytes)) }) ?? ""
    }

    private static func hashing(_ feed: ((Data) -> Void) throws -> Void) throws -> String {
        guard let sha = av_sha_alloc() else { fatalError("av_sha_alloc: out of memory") }
        defer { av_free(UnsafeMutableRawPointer(sha)) }
        av_sha_init(sha, 256)
        try feed { block in block.withUnsafeBytes { av_sha_update(sha, $0.bindMemory(to: UInt8.self).baseAddress, block.count) } }
        var digest = [UInt8](repeating: 0, count: 32)
        av_sha_final(sha, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}

extension ContentDigest {
    /// HMAC-SHA-256 of `message` under `key` (libavutil's), as lowercase hex: signs download links.
    public static func hmacSHA256(key: [UInt8], message: String) -> String {
        hmacSHA256Bytes(key: key, message: Array(message.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// HMAC-SHA-256 as the 32 raw bytes (webhook signatures carry them in base64).
    public static func hmacSHA256Bytes(key: [UInt8], message: [UInt8]) -> [UInt8] {
        guard let hmac = av_hmac_alloc(AV_HMAC_SHA256) else { fatalError("av_hmac_alloc: out of memory") }
        defer { av_hmac_free(hmac) }
        var out = [UInt8](repeating: 0, count: 32)
        _ = av_hmac_calc(hmac, message, UInt32(message.count), key, UInt32(key.count), &out, UInt32(out.count))
        return out
    }
}
