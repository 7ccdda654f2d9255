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
