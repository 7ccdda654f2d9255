import Foundation
import Testing
import TestSupport

/// A field team's upload as it happens in a camp, with a real tus client (tuspy, from PyPI)
/// against a running `mediaorch watch`: scripts/tus-field-check.py sends a 60 MB clip through a
/// proxy that cuts the link every 10 MB, then another while the service is SIGKILLed half way
/// and started again, and reports what it measured.
@Suite(.serialized) struct FieldUploadTests {
    @Test func aRealTusClientGetsAWholeClipThroughACutLinkAndAKilledService() throws {
        // About 60 MB, as a phone's minute of 1080p is.
        let clip = try Fixtures.make("field-upload-60mb.mp4", [
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", Fixtures.speech, "-t", "8",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "60M", "-minrate", "60M", "-maxrate", "60M", "-bufsize", "2M",
            "-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-shortest"])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: clip)[.size] as? Int)
        #expect(size > 55 << 20, "the clip is the size the issue names")
        let workspace = try TestPaths.scratch("field-upload/workspace")
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/tus-field-check.py").path
        let run = try ExternalTool.run("python3", [script, TestPaths.mediaorch, workspace.path, clip])
        #expect(run.status == 0, "\(run.text)\n\(run.stderr.suffix(3000))")
        let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.stderr.suffix(3000))")
        let cut = try #require(report["cutting_proxy"] as? [String: Any])
        #expect(cut["identical"] as? Bool == true, "the archived original is the clip, byte for byte")
        #expect((cut["cuts"] as? Int ?? 0) >= 5, "the link was cut every 10 MB")
        #expect((cut["ratio"] as? Double ?? 9) <= 1.3, "bytes through the proxy / file: \(cut["ratio"] ?? "?")")
        #expect(cut["request_state"] as? String != "open", "the request follows its clip")
        let killed = try #require(report["killed_service"] as? [String: Any])
        #expect(killed["upload"] as? String == "done")
        #expect(killed["identical"] as? Bool == true, "resumed after the restart to a whole, identical file")
        let at = killed["killed_at_bytes"] as? Int ?? 0
        #expect(at > 0 && at < size, "the service died mid-upload (at \(at) of \(size) bytes)")
    }
}
