import Foundation

/// Test inputs the tests make themselves with the ffmpeg CLI (rotated, VFR, HDR, 5.1, ...),
/// made once per run under test-output/fixtures/.
public enum Fixtures {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: String] = [:] // guarded by `lock`
    public static let folder = TestPaths.packageRoot.appendingPathComponent("test-output/fixtures")

    /// Runs `ffmpeg -y <arguments> <folder>/<name>` once; later calls return the same path.
    public static func make(_ name: String, _ arguments: [String], after: ((String) throws -> Void)? = nil) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = made[name] { return path }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        let result = try ExternalTool.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments + [path])
        guard result.status == 0 else { throw OracleError("ffmpeg could not make \(name): \(result.stderr)") }
        try after?(path)
        made[name] = path
        return path
    }

    /// Writes a display matrix into an MP4/MOV the way a phone does (ffmpeg 5.1's CLI cannot).
    public static func setRotation(_ path: String, degrees: Int) throws {
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/set-mov-rotation.py").path
        let result = try ExternalTool.run("python3", [script, path, String(degrees)])
        guard result.status == 0 else { throw OracleError("set-mov-rotation failed: \(result.stderr)") }
    }

    public static let speech = "aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000"
}
