import Foundation
import Testing
import TestSupport

/// The reply's colours as a viewer sees them: a flat patch of known sRGB colour, filmed five ways
/// (tagged BT.709, untagged HD, tagged BT.601 SD, untagged SD, full-range HD as GoPros write it),
/// goes through `mediaorch process`; the reply, decoded by ffmpeg as its BT.709 tags say, must
/// give the same colour back. Reading untagged HD as BT.601 (swscale's default) misses by tens of
/// levels on a saturated colour.
@Suite struct ColourTests {
    /// A saturated red, a skin tone, a sky blue: each shows a matrix mix-up differently.
    static let colours: [(name: String, rgb: [Int])] = [("red", [200, 50, 50]), ("skin", [224, 172, 105]), ("sky", [60, 140, 220])]

    enum Source: String, CaseIterable {
        case hd709, hdUntagged, sd601, sdUntagged, hdFullRange

        var size: String { self == .sd601 || self == .sdUntagged ? "640x480" : "1920x1080" }
        var encodeMatrix: String { self == .sd601 || self == .sdUntagged ? "bt601" : "bt709" }
        var fullRange: Bool { self == .hdFullRange }
        var tags: [String] {
            switch self {
            case .hd709: ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
            case .sd601: ["-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv"]
            case .hdFullRange: ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "pc"]
            case .hdUntagged, .sdUntagged: []
            }
        }
    }

    static func source(_ kind: Source, colour: (name: String, rgb: [Int])) throws -> String {
        let hex = colour.rgb.map { String(format: "%02X", $0) }.joined()
        return try Fixtures.make("colour-\(kind.rawValue)-\(colour.name).mp4", [
            "-f", "lavfi", "-i", "color=c=0x\(hex):s=\(kind.size):r=30:d=1,format=rgb24",
            "-vf", "scale=out_color_matrix=\(kind.encodeMatrix):out_range=\(kind.fullRange ? "pc" : "tv"),format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"] + kind.tags)
    }

    /// The mean RGB of a 16x16 patch at the frame's centre, decoded as the file's tags say.
    static func centreRGB(_ path: String) throws -> [Int] {
        let decoded = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", path, "-frames:v", "1",
                                                      "-vf", "crop=16:16:(iw-16)/2:(ih-16)/2,scale=flags=accurate_rnd+full_chroma_int,format=rgb24",
                                                      "-f", "rawvideo", "-"])
        let bytes = [UInt8](decoded.stdout)
        guard bytes.count == 16 * 16 * 3 else { throw OracleError("\(path): decoded \(bytes.count) bytes: \(decoded.stderr)") }
        return (0..<3).map { channel in stride(from: channel, to: bytes.count, by: 3).map { Int(bytes[$0]) }.reduce(0, +) / 256 }
    }

    @Test(arguments: Source.allCases)
    func theReplyShowsTheColourTheCameraRecorded(_ kind: Source) throws {
        for colour in Self.colours {
            let source = try Self.source(kind, colour: colour)
            let out = try TestPaths.scratch("colour/\(kind.rawValue)-\(colour.name)")
            let run = try ExternalTool.run(TestPaths.mediaorch, ["process", source, "--out", out.path, "--template", "twitter-reply-fast",
                                                                 "--outputs", "reply", "--templates", TestPaths.jobs.path])
            #expect(run.status == 0, "\(run.stderr)")
            let got = try Self.centreRGB(out.appendingPathComponent("reply.mp4").path)
            let worst = zip(got, colour.rgb).map { abs($0 - $1) }.max() ?? 99
            #expect(worst <= 6, "\(kind) \(colour.name): the reply shows \(got), the camera recorded \(colour.rgb)")
        }
    }

    // MARK: HLG, as iPhones film it

    /// The colour filmed in 10-bit HLG BT.2020 HEVC, as an iPhone records it: the sRGB patch
    /// carried into BT.2020 primaries and the HLG curve by zimg, so every colour is in BT.709's gamut.
    static let hlgNominal = (value: "10", source: "HLG's nominal 1000 cd/m²")

    static func hlgSource(_ name: String, picture: String) throws -> String {
        try Fixtures.make("colour-hlg-\(name).mp4", [
            "-f", "lavfi", "-i", "\(picture),setparams=color_primaries=bt709:color_trc=bt709:colorspace=gbr:range=pc,"
                + "zscale=t=arib-std-b67:p=bt2020:m=bt2020nc:r=tv:npl=100,format=yuv420p10le",
            "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:lossless=1", "-tag:v", "hvc1",
            "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", "-color_range", "tv"])
    }

    /// The exact tone-mapping chain `mediaorch plan` prints (zimg, Hable, in float) run by the
    /// ffmpeg CLI on the same clip, kept losslessly: what the reply's LUT is sampled from. `peak`:
    /// the curve's peak the plan must give, and where it says it read it.
    static func exactChainReference(_ source: String, in folder: URL, peak: (value: String, source: String)) throws -> String {
        let json = try plan(source)
        let filters = try #require(json["video_filters"] as? String)
        #expect(filters.contains("tonemap=tonemap=hable:desat=0:peak=\(peak.value),"), "plan spells out the exact chain at the clip's peak: \(filters)")
        let toneMapping = json["tone_mapping"] as? String ?? ""
        #expect(toneMapping.contains("lut3d") && toneMapping.contains(peak.source), "plan says how the render does it, and whence the peak: \(toneMapping)")
        return try exactChain(filters, source: source, into: folder.appendingPathComponent("exact-chain.mp4").path)
    }

    /// `filters` run by the ffmpeg CLI on `source`, kept losslessly in BT.709.
    static func exactChain(_ filters: String, source: String, into reference: String) throws -> String {
        let cli = try ExternalTool.run("ffmpeg", ["-v", "error", "-y", "-i", source, "-vf", filters, "-an", "-c:v", "libx264", "-preset", "ultrafast",
                                                  "-qp", "0", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", reference])
        #expect(cli.status == 0, "\(cli.stderr)")
        return reference
    }

    func replyOf(_ source: String, in out: URL, template: String, outputs: String) throws -> String {
        let run = try ExternalTool.run(TestPaths.mediaorch, ["process", source, "--out", out.path, "--template", template,
                                                             "--outputs", outputs, "--templates", TestPaths.jobs.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.hasSuffix(".cube") }, "the tone-mapping table is removed")
        return out.appendingPathComponent("reply.mp4").path
    }

    /// An iPhone's HLG patch shows in the reply as the exact chain shows it, within a few levels;
    /// the HLG signal shown as it is (no tone mapping) misses by more than twice that.
    @Test func anHLGClipShowsTheColourTheExactToneMappingGives() throws {
        for colour in Self.colours {
            let hex = colour.rgb.map { String(format: "%02X", $0) }.joined()
            let source = try Self.hlgSource(colour.name, picture: "color=c=0x\(hex):s=1280x720:r=30:d=1,format=gbrp")
            let out = try TestPaths.scratch("colour/hlg-\(colour.name)")
            // The production template, for its thumbnails; its end card comes after the patch.
            let reply = try replyOf(source, in: out, template: "twitter-reply", outputs: "reply,thumbnails")
            let exact = try Self.centreRGB(Self.exactChainReference(source, in: out, peak: Self.hlgNominal))
            let untreated = try Self.centreRGB(source)
            // HLG is made to look right on SDR screens, so on these mid-tones "none" misses by 12 to 30 levels.
            #expect(zip(exact, untreated).map { abs($0 - $1) }.max() ?? 0 > 10,
                    "the fixture tells tone mapping from none: exact \(exact), untreated \(untreated)")
            let got = try Self.centreRGB(reply)
            let worst = zip(got, exact).map { abs($0 - $1) }.max() ?? 99
            #expect(worst <= 6, "HLG \(colour.name): the reply shows \(got), the exact chain gives \(exact)")
            // The thumbnail is read as BT.709 too, not with the source's BT.2020 matrix.
            let thumbnail = out.appendingPathComponent("thumb.jpg").path
            let still = try Self.centreRGB(thumbnail)
            #expect(zip(still, exact).map { abs($0 - $1) }.max() ?? 99 <= 8, "HLG \(colour.name): the thumbnail shows \(still), the exact chain \(exact)")
        }
    }

    /// A whole moving picture (test card, gradients, noise): each of the reply's pictures against
    /// the exact chain's. The LUT plus x264 stays above 30 dB (37 on average); no tone mapping
    /// gives 20 dB, Reinhard's curve instead of Hable's 22.
    @Test func anHLGClipsPicturesMatchTheExactToneMapping() throws {
        let source = try Self.hlgSource("card", picture: "testsrc2=s=1280x720:r=30:d=1,noise=alls=6:allf=t+u,format=gbrp")
        let out = try TestPaths.scratch("colour/hlg-card")
        let reply = try replyOf(source, in: out, template: "twitter-reply-fast", outputs: "reply")
        let reference = try Self.exactChainReference(source, in: out, peak: Self.hlgNominal)
        let values = try psnrOfEachPicture(reply, against: reference, from: 0, to: 1)
        #expect(values.count == 30, "\(values.count) pictures compared")
        #expect((values.min() ?? 0) > 30, "PSNR against the exact chain: \(values.map { String(format: "%.1f", $0) })")
    }

    // MARK: HDR10 (PQ), as Samsung phones film it

    /// The colour filmed in 10-bit PQ BT.2020 HEVC (SDR white at 100 cd/m²), with the HDR10
    /// messages x265 writes from `messages` (its master-display and max-cll settings).
    static func pqSource(_ name: String, picture: String, messages: String) throws -> String {
        try Fixtures.make("colour-pq-\(name).mp4", [
            "-f", "lavfi", "-i", "\(picture),setparams=color_primaries=bt709:color_trc=bt709:colorspace=gbr:range=pc,"
                + "zscale=t=smpte2084:p=bt2020:m=bt2020nc:r=tv:npl=100,format=yuv420p10le",
            "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:lossless=1:hdr10=1:\(messages)", "-tag:v", "hvc1",
            "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-color_range", "tv"])
    }

    /// A PQ patch graded to 1000 cd/m² (its content light level says so) shows in the reply as the
    /// exact chain shows it at that peak, within a few levels; at PQ's nominal 10000 cd/m² the same
    /// chain misses by 11 to 15 levels, so the reply must have read the clip's own peak.
    @Test func aPQClipShowsTheColourItsOwnPeakGives() throws {
        for colour in Self.colours {
            let hex = colour.rgb.map { String(format: "%02X", $0) }.joined()
            let source = try Self.pqSource("\(colour.name)-maxcll1000", picture: "color=c=0x\(hex):s=1280x720:r=30:d=1,format=gbrp",
                                           messages: "max-cll=1000,400")
            let out = try TestPaths.scratch("colour/pq-\(colour.name)")
            let reply = try replyOf(source, in: out, template: "twitter-reply", outputs: "reply,thumbnails")
            let reference = try Self.exactChainReference(source, in: out, peak: (value: "10", source: "the first picture's content light level (MaxCLL 1000 cd/m²)"))
            let exact = try Self.centreRGB(reference)
            let filters = try #require(try Self.plan(source)["video_filters"] as? String)
            let nominalChain = try Self.centreRGB(Self.exactChain(filters.replacingOccurrences(of: "peak=10,", with: "peak=100,"), source: source,
                                                                  into: out.appendingPathComponent("nominal-peak.mp4").path))
            #expect(zip(exact, nominalChain).map { abs($0 - $1) }.max() ?? 0 > 8,
                    "the fixture tells its own peak from the nominal one: \(exact) against \(nominalChain)")
            let got = try Self.centreRGB(reply)
            #expect(zip(got, exact).map { abs($0 - $1) }.max() ?? 99 <= 6, "PQ \(colour.name): the reply shows \(got), the exact chain gives \(exact)")
            let still = try Self.centreRGB(out.appendingPathComponent("thumb.jpg").path)
            #expect(zip(still, exact).map { abs($0 - $1) }.max() ?? 99 <= 8, "PQ \(colour.name): the thumbnail shows \(still), the exact chain \(exact)")
        }
    }

    /// A moving card graded on a 1000 cd/m² display, which is all its messages say (no content
    /// light level): each of the reply's pictures against the exact chain's at that peak. The LUT
    /// plus x264 stays above 34 dB (35.9 measured); a table made at PQ's nominal peak instead
    /// scores 30 (the exact chain at the two peaks: 31 against each other).
    @Test func aPQClipsPicturesMatchTheExactToneMappingAtItsMasteringPeak() throws {
        let source = try Self.pqSource("card-mastering1000", picture: "testsrc2=s=1280x720:r=30:d=1,noise=alls=6:allf=t+u,format=gbrp",
                                       messages: "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)")
        let out = try TestPaths.scratch("colour/pq-card")
        let reply = try replyOf(source, in: out, template: "twitter-reply-fast", outputs: "reply")
        let reference = try Self.exactChainReference(source, in: out, peak: (value: "10", source: "the first picture's mastering display (1000 cd/m²)"))
        let values = try psnrOfEachPicture(reply, against: reference, from: 0, to: 1)
        #expect(values.count == 30, "\(values.count) pictures compared")
        #expect((values.min() ?? 0) > 34, "PSNR against the exact chain: \(values.map { String(format: "%.1f", $0) })")
    }

    /// What `mediaorch plan` prints for `source`.
    static func plan(_ source: String) throws -> [String: Any] {
        let plan = try ExternalTool.run(TestPaths.mediaorch, ["plan", source, "--template", "twitter-reply-fast", "--templates", TestPaths.jobs.path])
        return try #require(try JSONSerialization.jsonObject(with: plan.stdout) as? [String: Any], "\(plan.stderr)")
    }
}
