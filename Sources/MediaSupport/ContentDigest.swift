import Crypto
import Foundation

/// SHA-256 of a file's content through swift-crypto (BoringSSL underneath, which uses the CPU's
/// SHA extensions where it has them: hashing an original runs at the speed the disk gives it).
/// Read in 4 MiB blocks into one buffer, so a large original never sits in memory whole.
public enum ContentDigest {
    public static func sha256(path: String) throws -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            // Missing is final; a permission or I/O error may pass (a network mount coming back).
            throw TranscodeError(errno == ENOENT ? .badInput : .output, file: name, "cannot open to hash it: \(reason)")
        }
        defer { close(fd) }
        var hasher = SHA256()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { block.deallocate() }
        while true {
            let count = read(fd, block.baseAddress, block.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw TranscodeError(.output, file: name, "read failed while hashing: \(String(cString: strerror(errno)))")
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[0..<count]))
        }
        return hex(hasher.finalize())
    }

    /// SHA-256 of bytes in memory (an access token, a manifest), as lowercase hex.
    public static func sha256(bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

extension ContentDigest {
    /// HMAC-SHA-256 of `message` under `key`, as lowercase hex: signs download links.
    public static func hmacSHA256(key: [UInt8], message: String) -> String {
        hex(hmacSHA256Bytes(key: key, message: Array(message.utf8)))
    }

    /// HMAC-SHA-256 as the 32 raw bytes (webhook signatures carry them in base64).
    public static func hmacSHA256Bytes(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
