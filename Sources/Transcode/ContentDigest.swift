import CAV
import Foundation

/// SHA-256 of a file's content, with libavutil's implementation (no extra dependency), read in
/// 1 MiB blocks so a large original never sits in memory whole.
public enum ContentDigest {
    public static func sha256(path: String) throws -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TranscodeError(.badInput, file: name, "cannot open to hash it")
        }
        defer { try? handle.close() }
        guard let sha = av_sha_alloc() else { fatalError("av_sha_alloc: out of memory") }
        defer { av_free(UnsafeMutableRawPointer(sha)) }
        av_sha_init(sha, 256)
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw TranscodeError(.output, file: name, "read failed while hashing: \(error.localizedDescription)")
            }
            if block.isEmpty { break }
            block.withUnsafeBytes { av_sha_update(sha, $0.bindMemory(to: UInt8.self).baseAddress, block.count) }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        av_sha_final(sha, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
