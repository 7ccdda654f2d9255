import Foundation
import Testing
import TestSupport

/// The x264 settings a template asks for are the ones in the reply, as read back from the settings
/// x264 writes into its own stream (what a user compares an ffmpeg command line with).
@Suite struct ReplyEncoderSettingsTests {
    /// x264's options line, from the SEI it writes before the first picture.
    static func x264Options(_ path: String) throws -> [String: String] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let start = bytes.range(of: Data("options: ".utf8)) else { return [:] }
        let line = bytes[start.upperBound...].prefix { $0 != 0 && $0 != 0x0A }
        return Dictionary(String(decoding: line, as: UTF8.self).split(separator: " ").compactMap { item in
            let pair = item.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
    }

    @Test func theProductionReplyIsVeryfastWithOneSubPixelSearch() throws {
        let out = try TestPaths.scratch("encoder-settings/production")
        let run = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("silent_4x3.mp4"), "--out", out.path,
                                                             "--template", "twitter-reply", "--outputs", "reply"])
        #expect(run.status == 0, "\(run.stderr)")
        let options = try Self.x264Options(out.appendingPathComponent("reply.mp4").path)
        // veryfast's own choices stay (hexagon search, one reference, no trellis); subme is 1, not veryfast's 2.
        #expect(options["subme"] == "1", "\(options)")
        #expect(options["me"] == "hex" && options["ref"] == "1" && options["trellis"] == "0", "\(options)")
        #expect(options["crf"]?.hasPrefix("23.0") == true && options["vbv_maxrate"] == "5000", "\(options)")

        let plan = try ExternalTool.run(TestPaths.mediaorch, ["plan", TestPaths.sample("silent_4x3.mp4"), "--template", "twitter-reply"])
        #expect(plan.text.contains("scenecut=0:open-gop=0:subme=1"), "plan prints what the reply is encoded with: \(plan.text)")
    }

    @Test func aTemplateWithoutSubmeKeepsItsPresetsOwn() throws {
        let folder = try TestPaths.scratch("encoder-settings/templates")
        try Data(#"{"name": "careful", "outputs": ["reply"], "reply": {"x264_preset": "veryfast", "x264_subme": 7}}"#.utf8)
            .write(to: folder.appendingPathComponent("careful.json"))
        try Data(#"{"name": "plain", "outputs": ["reply"], "reply": {"x264_preset": "veryfast"}}"#.utf8)
            .write(to: folder.appendingPathComponent("plain.json"))
        for (template, subme) in [("plain", "2"), ("careful", "7")] {
            let out = try TestPaths.scratch("encoder-settings/\(template)")
            let run = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("silent_4x3.mp4"), "--out", out.path,
                                                                 "--template", template, "--templates", folder.path])
            #expect(run.status == 0, "\(run.stderr)")
            let options = try Self.x264Options(out.appendingPathComponent("reply.mp4").path)
            #expect(options["subme"] == subme && options["me"] == "hex", "\(template): veryfast's own subme is 2: \(options)")
        }
        let plain = try ExternalTool.run(TestPaths.mediaorch, ["plan", TestPaths.sample("silent_4x3.mp4"), "--template", "plain", "--templates", folder.path])
        #expect(plain.status == 0 && plain.text.contains(#""scenecut=0:open-gop=0""#), "\(plain.text)\(plain.stderr)")
    }

    @Test func aSubmeX264DoesNotHaveIsRefusedNamingTheField() throws {
        let folder = try TestPaths.scratch("encoder-settings/broken")
        for (name, value) in [("zero", "0"), ("ten", "10"), ("words", #""high""#)] {
            try Data(#"{"name": "\#(name)", "outputs": ["reply"], "reply": {"x264_subme": \#(value)}}"#.utf8)
                .write(to: folder.appendingPathComponent("\(name).json"))
            let plan = try ExternalTool.run(TestPaths.mediaorch, ["plan", TestPaths.sample("silent_4x3.mp4"), "--template", name, "--templates", folder.path])
            #expect(plan.status != 0, "\(name): \(plan.text)")
            #expect(plan.stderr.contains("\(name).json") && plan.stderr.contains("x264_subme"), "\(name): \(plan.stderr)")
        }
    }
}
