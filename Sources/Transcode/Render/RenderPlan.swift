import CAV
import Foundation

/// What the reply render will do to one clip, decided from its probe before any decoding:
/// which streams, which part, what size and rate, and the filter chains that get it there.
struct RenderPlan {
    struct Size: Equatable { var width: Int; var height: Int }

    let videoStream: Int
    let audioStream: Int?
    /// Source time (seconds) that becomes 0 in the output: the first picture, plus the trim start.
    let sourceStart: Double
    /// Output length in seconds.
    let duration: Double
    let canvas: Size
    let content: Size
    /// Output pictures a second, exact: 30 or 60 for a reply; editors' cuts keep 30000/1001 or 24000/1001.
    let frameRate: Rational
    let videoFilters: String
    /// The same picture treatment for a single frame (thumbnails): no rate change, no trim.
    let stillFilters: String
    let audioFilters: String
    /// Used when the clip has no audio: X players expect a track, so the reply carries silence.
    let silenceFilters: String
    /// How an SDR source's colours reach BT.709, in words (nil for HDR, which is tone-mapped).
    var colourSummary: String? = nil

    /// Seconds of end card after the clip (0 without one).
    let cardDuration: Double
    var totalDuration: Double { duration + cardDuration }

    /// `toneMapping`: for an HDR source, its peak and the `ToneMapLUT` written for it; without
    /// one, HDR takes the exact chain at the nominal peak.
    /// `declaredLength`: the pictures' length as the sender of a file still arriving declared it,
    /// which stands in for the container's (a fragmented stream's header knows only its first fragment).
    static func make(info: MediaInfo, videoEnd: () throws -> Double?, trim: Trim?, rendition: Rendition,
                     cardDuration: Double = 0, toneMapping: ToneMapping? = nil, declaredLength: Double? = nil) throws -> RenderPlan {
        let file = info.file
        guard let video = mainVideoStream(in: info) else {
            let what = info.audioStreams.isEmpty ? "no video stream" : "only audio, no video stream"
            throw TranscodeError(.badInput, file: file, "has \(what): a reply needs pictures")
        }
        try checkPictures(video, file: file)
        let audio = info.audioStreams.first { ($0.channels ?? 0) > 0 && ($0.sampleRate ?? 0) > 0 }
        // A damaged sample description can claim 1 Hz: resampling each frame of it to 48 kHz
        // would take gigabytes. Real recordings are 8 kHz (old phones) to 384 kHz.
        if let audio, let rate = audio.sampleRate, !(4000...384_000).contains(rate) || (audio.channels ?? 0) > 64 {
            throw TranscodeError(.badInput, file: file,
                                 "stream \(audio.index): the sound claims \(rate) Hz and \(audio.channels ?? 0) channels, which no recording has: the file is damaged")
        }

        // The source's own length of pictures.
        let pictureStart = video.startTime ?? 0
        let sourceLength: Double
        if let declaredLength {
            sourceLength = declaredLength
        } else if let d = video.duration, d > 0 {
            sourceLength = d
        } else if let end = try videoEnd() {
            sourceLength = max(0, end - pictureStart)
        } else if let d = info.duration {
            sourceLength = d
        } else {
            throw TranscodeError(.badInput, file: file, "cannot tell how long the video is")
        }

        let duration: Double
        if let trim {
            guard trim.start >= 0, trim.end.map({ $0 > trim.start }) ?? true else {
                throw TranscodeError(.rejected, file: file, "trim \(Self.seconds(trim.start))–\(trim.end.map(Self.seconds) ?? "end"): the end must come after the start")
            }
            guard trim.start < sourceLength else {
                throw TranscodeError(.rejected, file: file, "trim start \(Self.seconds(trim.start)) is past the clip's end (\(Self.seconds(sourceLength)))")
            }
            duration = min(trim.end ?? sourceLength, sourceLength) - trim.start
            if let limit = rendition.maxDurationSeconds, duration + cardDuration > limit {
                throw TranscodeError(.rejected, file: file, "the trim keeps \(Self.seconds(duration))\(Self.cardNote(cardDuration)); X allows \(Self.seconds(limit)): shorten the trim")
            }
        } else {
            duration = sourceLength
            if let limit = rendition.maxDurationSeconds, duration + cardDuration > limit {
                throw TranscodeError(.rejected, file: file, "clip is \(Self.seconds(duration))\(Self.cardNote(cardDuration)); X allows \(Self.seconds(limit)): set a trim")
            }
        }
        if duration < 0.5 {
            // A reply template has X's length limit; an editors' cut has none.
            let what = rendition.maxDurationSeconds == nil ? "the cut would be" : "the reply would be"
            throw TranscodeError(.rejected, file: file, "\(what) \(String(format: "%.2f", duration)) s; it must be at least 0.5 s")
        }

        let displayAspect = Self.displayAspect(video)
        // No camera films a picture eight times as wide as it is high, or as high as it is wide;
        // a damaged pixel aspect ratio can claim it, and an editors' cut in the clip's own shape
        // would then ask x264 for a picture beyond its limits.
        guard (1.0 / 8...8).contains(displayAspect) else {
            let shape = displayAspect >= 1 ? String(format: "%.1f:1", displayAspect) : String(format: "1:%.1f", 1 / displayAspect)
            throw TranscodeError(.badInput, file: file, "stream \(video.index): \(video.width!)x\(video.height!) pictures with a pixel aspect ratio of "
                                 + "\(video.sampleAspectRatio.map { "\($0)" } ?? "1:1") would show at \(shape), a shape no camera films: the file is damaged")
        }
        let sourceRate = video.averageFrameRate.flatMap { $0.isKnown ? $0.value : nil } ?? video.realFrameRate?.value ?? 30
        let canvas: Size, content: Size, frameRate: Rational
        if let shortSide = rendition.shortSide {
            canvas = Self.ownShape(video, aspect: displayAspect, shortSide: shortSide)
            content = canvas
            frameRate = Self.nearestStandardRate(video.averageFrameRate.flatMap { $0.isKnown ? $0 : nil } ?? video.realFrameRate ?? Rational(30, 1))
        } else {
            canvas = Self.canvas(forAspect: displayAspect)
            content = Self.fit(aspect: displayAspect, in: canvas)
            frameRate = Rational(sourceRate > 45 ? 60 : 30, 1)
        }

        let toneMapping = toneMapping ?? ToneMapping(peak: .nominal(for: video), lutPath: nil)
        let videoFilters = Self.videoChain(video: video, content: content, canvas: canvas, frameRate: frameRate, duration: duration,
                                           toneMapping: toneMapping)
        let stillFilters = Self.pictureChain(video: video, content: content, canvas: canvas, toneMapping: toneMapping.exact)
        let audioFilters = Self.audioChain(channels: audio?.channels ?? 2, duration: duration, rendition: rendition)
        let silence = "anullsrc=r=48000:cl=stereo,atrim=end=\(Self.decimal(duration)),aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"
        return RenderPlan(videoStream: video.index, audioStream: audio?.index, sourceStart: pictureStart + (trim?.start ?? 0),
                          duration: duration, canvas: canvas, content: content, frameRate: frameRate,
                          videoFilters: videoFilters, stillFilters: stillFilters, audioFilters: audioFilters,
                          silenceFilters: silence,
                          colourSummary: video.isHDR ? nil : Self.colourPath(video: video, content: content).summary(SourceColour(video), video: video),
                          cardDuration: cardDuration)
    }

    static func colourPath(video: StreamInfo, content: Size) -> ColourPath {
        ColourPath(SourceColour(video), video: video, scaled: scaledSize(video: video, content: content))
    }

    /// The picture's size out of the scale: the content's, turned back when the picture is rotated after.
    static func scaledSize(video: StreamInfo, content: Size) -> Size {
        video.isRotatedQuarterTurn ? Size(width: content.height, height: content.width) : content
    }

    /// Refuses pictures no camera films, before anything is decoded: a damaged header claiming
    /// beyond 8K would make every decoded frame a memory bomb; a stream none of whose opening
    /// pictures decode (the probe found no picture format) cannot feed a filter graph.
    static func checkPictures(_ video: StreamInfo, file: String) throws {
        guard let width = video.width, let height = video.height, width > 0, height > 0 else {
            throw TranscodeError(.badInput, file: file, "stream \(video.index): the video has no picture size")
        }
        guard width >= 16, height >= 16 else {
            throw TranscodeError(.badInput, file: file, "stream \(video.index): a picture size of \(width)x\(height) is too small for any camera's: the file is damaged")
        }
        guard width <= 8192, height <= 8192 else {
            throw TranscodeError(.badInput, file: file, "stream \(video.index): a picture size of \(width)x\(height) is beyond any camera's: the file is damaged")
        }
        guard video.pixelFormat != nil else {
            throw TranscodeError(.badInput, file: file, "stream \(video.index): none of the video's opening pictures decodes, so its picture format is unknown: the file is damaged")
        }
    }

    /// The clip's own displayed shape with its short side at most `shortSide`, even-sized.
    static func ownShape(_ video: StreamInfo, aspect: Double, shortSide: Int) -> Size {
        func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
        let displayedHeight = Double(video.isRotatedQuarterTurn ? video.width! : video.height!)
        let displayedWidth = displayedHeight * aspect
        let short = min(Double(shortSide), min(displayedWidth, displayedHeight))
        return displayedWidth >= displayedHeight
            ? Size(width: even(short * aspect), height: even(short))
            : Size(width: even(short), height: even(short / aspect))
    }

    /// The rates cameras film at, with the NTSC family's exact fractions.
    static let standardRates = [Rational(24000, 1001), Rational(24, 1), Rational(25, 1), Rational(30000, 1001), Rational(30, 1),
                                Rational(48, 1), Rational(50, 1), Rational(60000, 1001), Rational(60, 1)]

    /// Editors' cuts keep the camera's rate, made constant: the source's own when it is one of the
    /// usual rates (29.97 stays 30000/1001, never 30), else the nearest of them.
    static func nearestStandardRate(_ rate: Rational) -> Rational {
        if let same = standardRates.first(where: { Int64($0.num) * Int64(rate.den) == Int64(rate.num) * Int64($0.den) }) { return same }
        return standardRates.min { abs($0.value - rate.value) < abs($1.value - rate.value) }!
    }

    /// The camera's video: not a cover picture, not a still track of a frame or two; the largest otherwise.
    static func mainVideoStream(in info: MediaInfo) -> StreamInfo? {
        let candidates = info.videoStreams.filter { $0.attachedPicture != true && ($0.width ?? 0) > 0 }
        let moving = candidates.filter { ($0.frameCount ?? 3) > 2 }
        return (moving.isEmpty ? candidates : moving).max { a, b in
            (a.width! * a.height!, a.duration ?? 0) < (b.width! * b.height!, b.duration ?? 0)
        }
    }

    /// Width over height as the clip is meant to be seen: pixel aspect applied, rotation applied.
    static func displayAspect(_ video: StreamInfo) -> Double {
        let sar = video.sampleAspectRatio.map { $0.value > 0 ? $0.value : 1 } ?? 1
        let stored = Double(video.width!) * sar / Double(video.height!)
        return video.isRotatedQuarterTurn ? 1 / stored : stored
    }

    /// X's recommended sizes: portrait 720x1280, landscape 1280x720, near-square 720x720.
    static func canvas(forAspect aspect: Double) -> Size {
        if aspect < 0.8 { return Size(width: 720, height: 1280) }
        if aspect > 1.25 { return Size(width: 1280, height: 720) }
        return Size(width: 720, height: 720)
    }

    /// The largest even-sized picture of this aspect inside the canvas; the rest is padded, never cropped.
    static func fit(aspect: Double, in canvas: Size) -> Size {
        func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
        let heightAtFullWidth = Double(canvas.width) / aspect
        if heightAtFullWidth <= Double(canvas.height) {
            return Size(width: canvas.width, height: min(canvas.height, even(heightAtFullWidth)))
        }
        return Size(width: min(canvas.width, even(Double(canvas.height) * aspect)), height: canvas.height)
    }

    /// deinterlace → constant rate → scale (before rotating: fewer pixels to turn) → rotate →
    /// tone-map HDR → pad to the canvas → square pixels, yuv420p BT.709.
    static func videoChain(video: StreamInfo, content: Size, canvas: Size, frameRate: Rational, duration: Double, toneMapping: ToneMapping) -> String {
        var chain: [String] = []
        if let order = video.fieldOrder, ["tt", "bb", "tb", "bt"].contains(order) {
            chain.append("bwdif=mode=send_frame:parity=auto:deint=all")
        }
        chain.append("fps=fps=\(frameRate.fraction):start_time=0")
        chain.append("trim=end=\(decimal(duration))")
        chain.append(pictureChain(video: video, content: content, canvas: canvas, toneMapping: toneMapping))
        return chain.joined(separator: ",")
    }

    /// Size, orientation, colour and frame of one picture: shared by the video and the stills.
    static func pictureChain(video: StreamInfo, content: Size, canvas: Size, toneMapping: ToneMapping) -> String {
        var chain: [String] = []
        let scaleSize = scaledSize(video: video, content: content)
        let colour = SourceColour(video)
        if video.isHDR, toneMapping.lutPath != nil {
            // Scaled and turned into the LUT's 16-bit RGB in one swscale pass.
            chain.append("scale=\(scaleSize.width):\(scaleSize.height):in_color_matrix=\(colour.matrix):in_range=\(colour.fullRange ? "pc" : "tv"),format=gbrp16le")
        } else if video.isHDR {
            chain.append("scale=\(scaleSize.width):\(scaleSize.height)")
        } else {
            chain += colourPath(video: video, content: content).filters(colour, scaled: scaleSize)
        }
        chain += rotationFilters(video.rotation ?? 0)
        if video.isHDR {
            chain.append(toneMapping.lutPath.map(ToneMapLUT.chain(lutPath:)) ?? ToneMapLUT.exactChain(peak: toneMapping.peak))
        }
        chain.append("format=yuv420p")
        if content != canvas {
            chain.append("pad=\(canvas.width):\(canvas.height):(ow-iw)/2:(oh-ih)/2:black")
        }
        chain.append("setsar=1")
        return chain.joined(separator: ",")
    }

    /// The filters that turn the picture upright, from the display matrix's rotation
    /// (ffprobe's sign: -90 means turn clockwise).
    static func rotationFilters(_ rotation: Double) -> [String] {
        var theta = (-rotation).truncatingRemainder(dividingBy: 360)
        if theta < 0 { theta += 360 }
        switch Int(theta.rounded()) % 360 {
        case 90: return ["transpose=clock"]
        case 180: return ["hflip", "vflip"]
        case 270: return ["transpose=cclock"]
        default: return []
        }
    }

    /// Cut to the picture's span (silence fills a late start), stereo, loudness-normalised, 48 kHz.
    static func audioChain(channels: Int, duration: Double, rendition: Rendition) -> String {
        let end = decimal(duration)
        var chain = ["atrim=start=0", "aresample=async=1:first_pts=0"]
        chain.append(channels == 1 ? "pan=stereo|c0=c0|c1=c0" : "aformat=channel_layouts=stereo")
        if rendition.normaliseLoudness {
            chain.append("loudnorm=I=\(decimal(rendition.loudnessLUFS)):TP=\(decimal(rendition.truePeakDBTP)):LRA=\(decimal(rendition.loudnessRangeLU))")
            // At the end loudnorm hands on its last 3 s as one 192 kHz frame; resampled whole, that
            // frame took 55 MB at the render's peak. Cut small first: the same samples come out.
            chain.append("asetnsamples=n=4096:p=0")
        }
        chain.append("aresample=48000")
        chain.append("aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo")
        chain.append("apad=whole_dur=\(end)")
        chain.append("atrim=end=\(end)")
        return chain.joined(separator: ",")
    }

    static func cardNote(_ card: Double) -> String { card > 0 ? " + \(seconds(card)) end card" : "" }

    /// The whole video graph: the clip's chain, then the end card joined on (concat), then the
    /// captions and the card's words burned in by libass — one graph, one encode.
    func videoGraph(assScriptPath: String?, card: EndCardVisual?) -> String {
        let burn = assScriptPath.map { "ass=filename=\(FilterEscaping.value($0)):shaping=complex" }
        guard let card else {
            return ([videoFilters] + (burn.map { [$0] } ?? [])).joined(separator: ",")
        }
        let size = "\(canvas.width)x\(canvas.height)"
        let length = Self.decimal(card.duration)
        var background: String
        if let image = card.backgroundImage {
            background = "movie=filename=\(FilterEscaping.value(image)),scale=\(canvas.width):\(canvas.height):force_original_aspect_ratio=increase,"
                + "crop=\(canvas.width):\(canvas.height),loop=loop=-1:size=1,fps=\(frameRate.fraction),trim=duration=\(length),setpts=PTS-STARTPTS"
        } else {
            background = "color=c=\(card.filterColor):s=\(size):r=\(frameRate.fraction):d=\(length)"
        }
        background += ",format=yuv420p,setsar=1"
        var graph = "[in]\(videoFilters)[clip];\(background)[cardbg];"
        if let logo = card.logo {
            let logoWidth = canvas.width / 4
            graph += "movie=filename=\(FilterEscaping.value(logo)),scale=\(logoWidth):-1[logo];"
                + "[cardbg][logo]overlay=x=(W-w)/2:y=H*0.08:eof_action=repeat,format=yuv420p[card];"
        } else {
            graph += "[cardbg]null[card];"
        }
        graph += "[clip][card]concat=n=2:v=1:a=0" + (burn.map { ",\($0)" } ?? "") + "[out]"
        return graph
    }

    /// The whole audio graph: the clip's sound fading out over its last half-second, then the
    /// card's sound or silence.
    func audioGraph(sourceHasAudio: Bool, card: EndCardVisual?) -> String {
        guard let card else { return sourceHasAudio ? audioFilters : silenceFilters }
        let stereo = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"
        let length = Self.decimal(card.duration)
        if !sourceHasAudio && card.sound == nil {
            return "anullsrc=r=48000:cl=stereo,atrim=end=\(Self.decimal(totalDuration)),\(stereo)"
        }
        let fadeStart = Self.decimal(max(0, duration - 0.5))
        let clip = sourceHasAudio
            ? "[in]\(audioFilters),afade=t=out:st=\(fadeStart):d=0.5[clipa];"
            : "anullsrc=r=48000:cl=stereo,atrim=end=\(Self.decimal(duration)),\(stereo)[clipa];"
        let cardSound = card.sound.map {
            "amovie=filename=\(FilterEscaping.value($0)),aresample=48000,\(stereo),apad=whole_dur=\(length),atrim=end=\(length)"
        } ?? "anullsrc=r=48000:cl=stereo,atrim=end=\(length),\(stereo)"
        return clip + cardSound + "[carda];[clipa][carda]concat=n=2:v=0:a=1[out]"
    }

    static func decimal(_ x: Double) -> String { String(format: "%.6f", x) }
    static func seconds(_ x: Double) -> String {
        // Int(x) traps past Int's range: a damaged or hostile trim is printed, never converted.
        guard x.isFinite, abs(x) < 1e12 else { return "\(x) s" }
        return x == x.rounded() ? "\(Int(x)) s" : String(format: "%.1f s", x)
    }
}
