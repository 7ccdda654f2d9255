import Foundation
import Testing
import TestSupport

/// What running the service for real needs: the systemd unit in deploy/ passes `systemd-analyze
/// verify` with this build's binary, and the binary works from any folder (templates built in).
@Suite struct ServiceDeploymentTests {
    @Test func theSystemdUnitVerifies() throws {
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/check-systemd-unit.sh").path
        let run = try ExternalTool.run("bash", [script, TestPaths.mediaorch])
        #expect(run.status == 0, "\(run.text)\(run.stderr)")
        #expect(run.text.contains(": OK"), "\(run.text)")
    }

    @Test func processWorksFromAnyFolder() throws {
        let out = try TestPaths.scratch("from-root-folder")
        // From /, far from the checkout's Jobs/: the built-in templates answer.
        let run = try ExternalTool.run("sh", ["-c", "cd / && env -u MEDIAORCH_TEMPLATES \"$0\" process \"$1\" --template twitter-reply-fast --out \"$2\"",
                                              TestPaths.mediaorch, TestPaths.sample("silent_4x3.mp4"), out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("reply.mp4").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.hasPrefix(".") }, "no staging left behind")
    }

    @Test func aTemplatesFolderOverridesABuiltInTemplateByName() throws {
        let folder = try TestPaths.scratch("template-override")
        let template = #"{"name": "twitter-reply-fast", "outputs": ["reply"], "reply": {"x264_preset": "ultrafast", "crf": 30}}"#
        try Data(template.utf8).write(to: folder.appendingPathComponent("twitter-reply-fast.json"))
        let plan = try ExternalTool.run(TestPaths.mediaorch, ["plan", TestPaths.sample("silent_4x3.mp4"), "--template", "twitter-reply-fast",
                                                              "--templates", folder.path])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.text.contains("ultrafast"), "\(plan.text)")
        let unknown = try ExternalTool.run(TestPaths.mediaorch, ["plan", TestPaths.sample("silent_4x3.mp4"), "--template", "no-such"])
        #expect(unknown.status != 0 && unknown.stderr.contains("twitter-reply"), "names the known templates: \(unknown.stderr)")
    }
}
