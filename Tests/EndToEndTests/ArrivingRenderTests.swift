import Foundation
import Testing
import TestSupport

/// A proxy made on the phone, sent as it is made (tus creation-defer-length) at a camp's 4 Mb/s
/// to a running `mediaorch watch`, with a plain HTTP client (scripts/arriving-check.py): its reply
/// is rendered while it arrives and taken over by its job, and the camera's original follows as
/// the reply's editors' cut, its pictures the camera's packets.
@Suite(.serialized) struct ArrivingRenderTests {
    static func clips() throws -> (proxy: String, original: String) {
        let original = try Fixtures.make("arriving-original.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=8", "-f", "lavfi", "-i", Fixtures.speech + ":d=8",
            "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-c:a", "aac", "-shortest"])
        let proxy = try Fixtures.make("arriving-proxy.mp4", [
            "-i", original, "-vf", "scale=720:1280", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "3M", "-g", "60",
            "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof"])
        return (proxy, original)
    }

    static func run(_ name: String, _ extra: [String], proxy given: String? = nil) throws -> [String: Any] {
        let (made, original) = try clips()
        let proxy = given ?? made
        let folder = try TestPaths.scratch("arriving/\(name)")
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/arriving-check.py").path
        let run = try ExternalTool.run("python3", [script, TestPaths.mediaorch, folder.appendingPathComponent("ws").path, proxy, original] + extra)
        let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.stderr.suffix(3000))")
        #expect(run.status == 0, "\(report["failure"] ?? "")\n\(run.stderr.suffix(2000))")
        return report
    }

    @Test func aProxysReplyIsRenderedWhileItArrivesAndItsOriginalBecomesTheEditorsCut() throws {
        let report = try Self.run("streamed", ["--rate-kbps", "4000", "--chunk-checksum"])
        #expect(report["made_from"] as? String == "proxy")
        #expect(report["rendered_while_arriving"] as? Bool == true, "\(report["arriving_render"] ?? "")")
        #expect(report["request_state"] as? String == "ready")
        #expect(report["original_in"] as? Bool == true)
        #expect(report["bts_packets_identical"] as? Bool == true, "the editors' cut carries the camera's own packets")
        #expect(report["bts_made_from_original"] as? Bool == true)
        let head = report["head_while_deferred"] as? [String: Any]
        #expect(head?["upload-defer-length"] as? String == "1", "HEAD says the length is still to come")
    }

    @Test func aWebMSentOnceWithItsLengthDeclaredIsRenderedWhileItArrives() throws {
        let (_, original) = try Self.clips()
        let webm = try Fixtures.make("arriving-recorder.webm", [
            "-i", original, "-vf", "scale=720:1280", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2M",
            "-g", "60", "-c:a", "libopus", "-b:a", "96k"])
        let report = try Self.run("webm", ["--plain", "--rate-kbps", "3000"], proxy: webm)
        #expect(report["rendered_while_arriving"] as? Bool == true, "\(report["arriving_render"] ?? "")")
        #expect(report["made_from"] as? String == "original" && report["request_state"] as? String == "ready")
    }

    @Test func withoutArrivingRendersTheJobRendersTheProxyOnceWhole() throws {
        let report = try Self.run("whole", ["--rate-kbps", "0", "--no-arriving"])
        #expect(report["made_from"] as? String == "proxy")
        #expect(report["rendered_while_arriving"] as? Bool != true)
        #expect(report["bts_packets_identical"] as? Bool == true)
    }
}
