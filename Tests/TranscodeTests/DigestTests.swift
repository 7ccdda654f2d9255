import Foundation
import Testing
import TestSupport
import Transcode

/// The hashes manifests, ingest, uploads and signatures rely on, against independent tools:
/// coreutils' sha256sum and sha1sum, and Python's hmac.
@Suite struct DigestTests {
    static func tool(_ name: String, _ path: String) throws -> String {
        String(try ExternalTool.run(name, [path]).text.prefix(while: { $0 != " " }))
    }

    @Test func aFilesSHA256IsWhatSha256sumSays() throws {
        let folder = try TestPaths.scratch("digest")
        let empty = folder.appendingPathComponent("empty.bin")
        try Data().write(to: empty)
        // Larger than the 4 MiB block, and not a multiple of it.
        let big = folder.appendingPathComponent("big.bin")
        try Data((0..<9_437_185).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: big)
        for path in [empty.path, big.path, TestPaths.sample("kakuma_portrait.mov")] {
            #expect(try ContentDigest.sha256(path: path) == Self.tool("sha256sum", path), "\(path)")
        }
        #expect(throws: TranscodeError.self) { try ContentDigest.sha256(path: folder.appendingPathComponent("missing").path) }
    }

    @Test func aDigestFedPieceByPieceIsTheWholeFilesDigest() throws {
        let path = TestPaths.sample("shatila_landscape.mp4")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for (algorithm, command) in [(StreamingDigest.Algorithm.sha1, "sha1sum"), (.sha256, "sha256sum")] {
            let digest = StreamingDigest(algorithm)
            var offset = 0, piece = 1
            while offset < data.count { // pieces of 1, 3, 7, … bytes: every boundary a network may cut at
                let end = min(data.count, offset + piece)
                data[offset..<end].withUnsafeBytes { digest.update($0) }
                offset = end
                piece = piece * 2 + 1
            }
            let hex = digest.finish().map { String(format: "%02x", $0) }.joined()
            #expect(hex == (try Self.tool(command, path)), "\(algorithm)")
        }
    }

    @Test func hmacIsWhatPythonsHmacSays() throws {
        let key: [UInt8] = Array("a key of the service's own".utf8)
        let message = "1796100000\n/api/jobs/53e713c11da7-twitter-reply/outputs/reply.mp4"
        let python = try ExternalTool.run("python3", ["-c", "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())",
                                                      String(decoding: key, as: UTF8.self), message])
        #expect(ContentDigest.hmacSHA256(key: key, message: message) == python.text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
