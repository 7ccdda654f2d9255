import CAV
import Foundation

/// The editors' cut without re-encoding: the camera's own H.264/HEVC pictures and AAC sound,
/// packet for packet, into a fresh MP4 with no tags or data tracks — only the display matrix
/// (so the clip still shows upright) and a Dolby Vision record are carried over.
public final class StreamCopyRemuxer {
    /// Why a clip cannot be copied as it is, or nil when it can. An iPhone's 10-bit HLG HEVC (and
    /// HDR10's PQ) is copied as it is: its pictures are the camera-quality footage editors ask
    /// for, and their editing tools read it, as they do the HLG of a smart cut. 10-bit H.264 is
    /// re-encoded: few players or editing tools decode it.
    public static func reasonToReencode(_ info: MediaInfo) -> String? {
        guard let video = RenderPlan.mainVideoStream(in: info) else { return "no video stream" }
        guard ["h264", "hevc"].contains(video.codec) else { return "video is \(video.codec), not H.264 or HEVC" }
        let depths = video.codec == "hevc" ? [8, 10] : [8]
        guard depths.contains(video.bitDepth ?? 0) else { return "video is \(video.bitDepth ?? 0)-bit \(video.codec == "hevc" ? "HEVC" : "H.264")" }
        if video.isHDR, video.codec != "hevc" { return "video is HDR H.264" }
        guard ["progressive", "unknown", nil].contains(video.fieldOrder) else { return "video is interlaced" }
        if let sar = video.sampleAspectRatio, sar.num != sar.den { return "pixels are not square (\(sar))" }
        guard video.variableFrameRate == false else { return "frame rate varies" }
        guard min(video.displayWidth ?? 0, video.displayHeight ?? 0) <= 1080 else { return "larger than 1080 on the short side" }
        if let audio = info.audioStreams.first, audio.codec != "aac" { return "audio is \(audio.codec), not AAC" }
        return nil
    }

    private let inputPath: String
    private let outputPath: String

    public init(input: String, output: String) {
        inputPath = input
        outputPath = output
    }

    /// Copies into a temporary file, verifies it, then renames it into place.
    public func remux(cancellation: CancellationFlag = CancellationFlag()) throws -> (duration: Double, validation: ValidationReport) {
        let outputName = URL(fileURLWithPath: outputPath).lastPathComponent
        let temporary = DurableFile.temporaryPath(for: outputPath)
        defer { unlink(temporary) }
        let input = try Demuxer(path: inputPath, cancellation: cancellation)
        let info = try input.probe()
        if let reason = Self.reasonToReencode(info) {
            throw TranscodeError(.rejected, file: input.fileName, "cannot be copied untouched: \(reason)")
        }
        let video = RenderPlan.mainVideoStream(in: info)!.index
        let audio = info.audioStreams.first?.index
        let selected = [video] + (audio.map { [$0] } ?? [])
        input.keepOnly(streams: Set(selected))
        // Only decode times move, so every picture still shows when the camera said. A camera's
        // B-frames are a few pictures deep; more is damage, which the re-encode reads instead.
        let videoDecodeShift = try input.decodeAheadOfPresentation(stream: video)
        guard videoDecodeShift <= ticks(1, in: input.stream(video).pointee.time_base) else {
            throw TranscodeError(.badInput, file: input.fileName, "cannot be copied untouched: pictures decode over a second after they are shown")
        }

        let muxer = try Muxer(path: temporary, outputName: outputName)
        var outputIndex: [Int: Int] = [:]
        for index in selected { outputIndex[index] = try muxer.addStream(copying: input.stream(index), keepingDolbyVision: true) }
        try muxer.writeHeader()

        // Both streams shift by the same amount, so they stay in sync and the earliest starts at 0.
        let origin = selected.map { info.streams[$0].startTime ?? 0 }.min() ?? 0
        try input.forEachPacket { packet in
            if cancellation.isCancelled { throw TranscodeError(.cancelled, file: input.fileName, "cancelled") }
            guard let target = outputIndex[packet.streamIndex] else { return .next }
            let tb = input.stream(packet.streamIndex).pointee.time_base
            let shift = ticks(origin, in: tb)
            if packet.pointer.pointee.pts != LibAVStatus.noTimestamp { packet.pointer.pointee.pts -= shift }
            if packet.pointer.pointee.dts != LibAVStatus.noTimestamp {
                packet.pointer.pointee.dts -= shift + (packet.streamIndex == video ? videoDecodeShift : 0)
            }
            try muxer.write(packet, stream: target)
            return .next
        }
        try muxer.finish() // trailer (moov moved first), close, fsync
        let validation = try OutputValidator(path: temporary, displayName: outputName, profile: .editorsCut).moveIntoPlaceIfValid(as: outputPath)
        return ((try? Demuxer(path: outputPath))?.duration ?? 0, validation)
    }
}
