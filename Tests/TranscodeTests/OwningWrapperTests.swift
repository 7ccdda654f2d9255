import CAV
import Foundation
import Testing
import TestSupport
@testable import Transcode

/// Each owning wrapper frees its C object exactly once on every path, a throwing init included.
/// These drive the error paths; `make test-asan` runs them under AddressSanitizer, which turns a
/// double free or a use after free into a failure (in a plain run they are crash tests).
@Suite struct OwningWrapperTests {
    @Test func demuxerThatFailsAfterOpeningFreesOnce() throws {
        // Opens (ftyp + moov) but the stream information cannot be read: the failure comes after
        // the context is owned, the path that used to free it twice.
        let folder = try TestPaths.scratch("wrapper-demuxer")
        let whole = try Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("silent_4x3.mp4")))
        for (n, fraction) in [0.05, 0.2, 0.5, 0.9].enumerated() {
            let path = folder.appendingPathComponent("cut-\(n).mp4")
            try whole.prefix(Int(Double(whole.count) * fraction)).write(to: path)
            for _ in 0..<20 { _ = try? Demuxer(path: path.path).probe() }
        }
    }

    @Test func decoderThatCannotOpenFreesOnce() throws {
        let demuxer = try Demuxer(path: TestPaths.sample("silent_4x3.mp4"))
        let video = try #require(demuxer.allStreams.first { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO })
        // Dimensions no decoder accepts: avcodec_open2 fails after the context was allocated.
        video.pointee.codecpar.pointee.width = 1 << 20
        video.pointee.codecpar.pointee.height = 1 << 20
        for _ in 0..<20 {
            #expect(throws: TranscodeError.self) { try StreamDecoder(stream: video, fileName: "silent_4x3.mp4") }
        }
    }

    @Test func encoderThatCannotOpenOrRefusesAnOptionFreesOnce() {
        for _ in 0..<10 {
            #expect(throws: TranscodeError.self) {
                try StreamEncoder(codecName: "libx264", outputName: "reply.mp4", options: [:]) { ctx in
                    ctx.pointee.width = 0 // no size: the encoder refuses to open
                    ctx.pointee.height = 0
                    ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
                    ctx.pointee.time_base = AVRational(num: 1, den: 30)
                }
            }
            #expect(throws: TranscodeError.self) {
                try StreamEncoder(codecName: "libx264", outputName: "reply.mp4", options: ["no-such-option": "1"]) { ctx in
                    ctx.pointee.width = 64
                    ctx.pointee.height = 64
                    ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
                    ctx.pointee.time_base = AVRational(num: 1, den: 30)
                }
            }
        }
    }

    @Test func filterGraphThatCannotBeBuiltFreesOnce() {
        for description in ["scale=-7:nonsense", "nosuchfilter", "split[a][b]", ""] {
            #expect(throws: TranscodeError.self) {
                try FilterGraph(sourceFilter: ("buffer", "video_size=64x64:pix_fmt=0:time_base=1/30:pixel_aspect=1/1"),
                                description: description, sinkFilter: "buffersink", context: "test")
            }
        }
        #expect(throws: TranscodeError.self) {
            try FilterGraph(sourceFilter: ("buffer", "not=arguments"), description: "null", sinkFilter: "buffersink", context: "test")
        }
    }

    @Test func muxerThatCannotWriteFreesOnce() throws {
        for _ in 0..<10 {
            let muxer = try Muxer(path: "/nonexistent-folder/reply.mp4", outputName: "reply.mp4")
            #expect(throws: TranscodeError.self) { try muxer.writeHeader() }
        }
    }
}
