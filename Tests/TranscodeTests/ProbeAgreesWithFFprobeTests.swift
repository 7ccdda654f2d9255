import Foundation
import Testing
import TestSupport
@testable import Transcode

/// `probe` must say what ffprobe says about every real phone recording and every sample clip.
@Suite struct ProbeAgreesWithFFprobeTests {
    static let files: [String] =
        ["kakuma_portrait.mov", "shatila_landscape.mp4", "silent_4x3.mp4"].map(TestPaths.sample)
        + TestPaths.sharedClips.map(TestPaths.shared)

    @Test(arguments: files)
    func containerFieldsMatch(file: String) throws {
        let info = try Demuxer(path: file).probe()
        let (format, streams) = try FFprobe.formatAndStreams(file)
        #expect(info.container == format.string("format_name"))
        #expect(info.size == Int64(format.int("size") ?? -1))
        if let duration = format.double("duration") {
            #expect(abs((info.duration ?? -1) - duration) < 0.001)
        } else {
            #expect(info.duration == nil)
        }
        if let bitRate = format.int("bit_rate") { #expect(info.bitRate == Int64(bitRate)) }
        #expect(info.streams.count == streams.count)
        let ffprobeHasLocation = format.tags.keys.contains { $0.lowercased().contains("location") }
        #expect(info.hasGPS == ffprobeHasLocation, "GPS location present")
    }

    @Test(arguments: files)
    func streamFieldsMatch(file: String) throws {
        let info = try Demuxer(path: file).probe()
        for expected in try FFprobe.streams(file) {
            let index = try #require(expected.int("index"))
            let s = try #require(info.streams.first { $0.index == index })
            let context = "\(URL(fileURLWithPath: file).lastPathComponent) stream \(index)"
            #expect(s.type.rawValue == expected.string("codec_type"), "\(context)")
            if let codec = expected.string("codec_name") { #expect(s.codec == codec, "\(context)") }
            if let start = expected.double("start_time") { #expect(abs((s.startTime ?? -1) - start) < 0.001, "\(context)") }
            if let profile = expected.string("profile"), profile != "unknown" { #expect(s.profile == profile, "\(context)") }

            if s.type == .video {
                #expect(s.width == expected.int("width") && s.height == expected.int("height"), "\(context)")
                #expect(s.pixelFormat == expected.string("pix_fmt"), "\(context)")
                let pixFmt = expected.string("pix_fmt") ?? ""
                let depth = expected.int("bits_per_raw_sample") ?? (pixFmt.contains("p10") ? 10 : 8)
                #expect(s.bitDepth == depth, "\(context)")
                #expect(s.realFrameRate?.fraction == expected.string("r_frame_rate"), "\(context)")
                #expect(s.averageFrameRate?.fraction == expected.string("avg_frame_rate"), "\(context)")
                if let sar = expected.string("sample_aspect_ratio"), sar != "0:1" {
                    #expect(s.sampleAspectRatio?.description == sar, "\(context)")
                }
                let rotation = (expected["side_data_list"] as? [FFprobe.JSON])?.compactMap { $0.double("rotation") }.first ?? 0
                #expect(s.rotation == rotation, "\(context)")
                let quarter = Int(abs(rotation)) % 180 == 90
                #expect(s.displayWidth == (quarter ? s.height : s.width), "\(context)")
                if let order = expected.string("field_order") { #expect(s.fieldOrder == order, "\(context)") }
                for (ours, key) in [(s.colorPrimaries, "color_primaries"), (s.colorTransfer, "color_transfer"),
                                    (s.colorSpace, "color_space"), (s.colorRange, "color_range")] {
                    #expect(ours == (expected.string(key) ?? "unknown"), "\(context) \(key)")
                }
                let trc = expected.string("color_transfer")
                #expect(s.hdr == (trc == "smpte2084" ? "PQ" : trc == "arib-std-b67" ? "HLG" : nil), "\(context)")
                let pts = try FFprobe.packetTimestamps(file, streamIndex: index)
                #expect(s.variableFrameRate == FramePacing.isVariable(timestamps: Array(pts.prefix(400)), isPrefix: pts.count >= 400), "\(context)")
            }
            if s.type == .audio {
                #expect(s.channels == expected.int("channels"), "\(context)")
                #expect(s.channelLayout == expected.string("channel_layout"), "\(context)")
                #expect(s.sampleRate == expected.int("sample_rate"), "\(context)")
            }
        }
    }

    @Test func rotatedIPhoneClipShowsPortraitWithGPS() throws {
        let info = try Demuxer(path: TestPaths.shared("iphone_rotated.mov")).probe()
        let video = try #require(info.videoStreams.first)
        #expect(video.rotation == -90)
        #expect(video.displayWidth == 320 && video.displayHeight == 568)
        #expect(info.identifyingMetadata.contains { $0.kind == .gps && $0.key == "location" })
        #expect(info.identifyingMetadata.contains { $0.kind == .model && $0.value == "iPhone 4S" })
    }

    @Test func hdrAndDolbyVisionAreReported() throws {
        let info = try Demuxer(path: TestPaths.shared("iphone14pro_hevc10_hlg_dolbyvision.MOV")).probe()
        let video = try #require(info.videoStreams.first)
        #expect(video.hdr == "HLG")
        #expect(video.bitDepth == 10)
        #expect(video.dolbyVision == true)
    }

    @Test func goProTelemetryTracksCountAsIdentifying() throws {
        let info = try Demuxer(path: TestPaths.shared("gopro_max_heromode.mp4")).probe()
        #expect(info.identifyingMetadata.contains { $0.kind == .telemetry && $0.value == "GoPro MET" })
    }

    @Test func variableFrameRatePhonesAreFlagged() throws {
        for name in ["android6_h264_rot270_gps_vfr.mp4", "desks_h263_sar12x11_vfr.3gp"] {
            let info = try Demuxer(path: TestPaths.shared(name)).probe()
            #expect(info.videoStreams.first?.variableFrameRate == true, "\(name)")
        }
        let gopro = try Demuxer(path: TestPaths.shared("gopro_max_heromode.mp4")).probe()
        #expect(gopro.videoStreams.first?.variableFrameRate == false)
    }
}
