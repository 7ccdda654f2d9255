import Foundation

/// Where the tests find the package, the sample clips, the real phone recordings and the binary.
public enum TestPaths {
    /// The package root, found from this file's place in the tree.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let sampleMedia = packageRoot.appendingPathComponent("SampleMedia")
    /// Real phone and camera recordings kept beside the project (never copied in).
    public static let sharedMedia = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/media")
    public static let jobs = packageRoot.appendingPathComponent("Jobs")

    /// The `mediaorch` executable `make test` built (MEDIAORCH_BIN overrides).
    public static var mediaorch: String {
        if let bin = ProcessInfo.processInfo.environment["MEDIAORCH_BIN"] { return bin }
        return packageRoot.appendingPathComponent(".build/debug/mediaorch").path
    }

    public static func sample(_ name: String) -> String { sampleMedia.appendingPathComponent(name).path }
    public static func shared(_ name: String) -> String { sharedMedia.appendingPathComponent(name).path }

    /// Every clip in ../shared/media (not its README).
    public static var sharedClips: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sharedMedia.path)) ?? []
        return names.filter { !$0.hasSuffix(".md") }.sorted()
    }

    /// A fresh folder under test-output/ that a person can open after the run.
    public static func scratch(_ name: String) throws -> URL {
        let url = packageRoot.appendingPathComponent("test-output").appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension TestPaths {
    /// A TCP port free on loopback now (the kernel's pick), for a service a test starts: tests
    /// running side by side never pick the same one, as ports made from the process id did.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OracleError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw OracleError("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
