import CAV

/// A libavfilter graph with at most one buffer source and one sink, described in the ffmpeg
/// filter syntax ("fps=30,scale=1280:720,format=yuv420p"). Owns the graph; the filter contexts
/// inside it are freed with it.
final class FilterGraph {
    /// Owns the AVFilterGraph, and with it the filter contexts below.
    private let owner: OwnedFilterGraph
    /// Nil for a generator graph (a silent track from anullsrc).
    private let source: UnsafeMutablePointer<AVFilterContext>?
    private let sink: UnsafeMutablePointer<AVFilterContext>
    let description: String
    /// The input's name, for messages.
    private let fileName: String
    /// "pictures" or "sound", for messages.
    private let what: String
    private var sawEnd = false

    enum Pull { case frame, needsInput, ended }

    /// `sourceFilter` is "buffer" or "abuffer" with its arguments, or nil when `description`
    /// starts with a source of its own. `sinkFilter` is "buffersink" or "abuffersink".
    init(sourceFilter: (name: String, arguments: String)?, description: String, sinkFilter: String, context: String) throws {
        // The graph is in its owner from the start: a failure below just throws, and the owner's
        // deinit frees it (and every filter created in it), whether or not this object was finished.
        let owner = try OwnedFilterGraph(fileName: context)
        self.owner = owner
        let graph = owner.pointer
        self.description = description
        self.fileName = context
        self.what = sinkFilter.hasPrefix("a") ? "sound" : "pictures"
        graph.pointee.nb_threads = 0 // one per core

        func fail(_ what: String, _ status: Int32) -> TranscodeError {
            TranscodeError(.processing, file: context, "\(what): \(libavErrorText(status)) — filters: \(description)")
        }

        var src: UnsafeMutablePointer<AVFilterContext>? = nil
        if let sourceFilter {
            let status = avfilter_graph_create_filter(&src, avfilter_get_by_name(sourceFilter.name), "in", sourceFilter.arguments, nil, graph)
            if status < 0 { throw fail("cannot create the \(sourceFilter.name) source (\(sourceFilter.arguments))", status) }
        }
        var snk: UnsafeMutablePointer<AVFilterContext>? = nil
        var status = avfilter_graph_create_filter(&snk, avfilter_get_by_name(sinkFilter), "out", nil, nil, graph)
        if status < 0 { throw fail("cannot create the \(sinkFilter)", status) }

        // Open ends of the parsed chain: its input is our source ("in"), its output our sink ("out").
        // What parsing leaves of either list is freed here, and only here, however this ends.
        var outputs: UnsafeMutablePointer<AVFilterInOut>? = nil
        var inputs: UnsafeMutablePointer<AVFilterInOut>? = nil
        defer {
            avfilter_inout_free(&inputs)
            avfilter_inout_free(&outputs)
        }
        /// One open end of the chain, named as the description names it.
        func openEnd(_ name: String, at filter: UnsafeMutablePointer<AVFilterContext>?, _ what: String) throws -> UnsafeMutablePointer<AVFilterInOut> {
            guard let end = avfilter_inout_alloc() else { throw TranscodeError.outOfMemory(allocating: what, file: context) }
            end.pointee.name = av_strdup(name)
            end.pointee.filter_ctx = filter
            end.pointee.pad_idx = 0
            end.pointee.next = nil
            return end
        }
        if let src { outputs = try openEnd("in", at: src, "the filter graph's input") }
        inputs = try openEnd("out", at: snk, "the filter graph's output")
        status = avfilter_graph_parse_ptr(graph, description, &inputs, &outputs, nil)
        if status < 0 { throw fail("cannot build the filter graph", status) }
        status = avfilter_graph_config(graph, nil)
        if status < 0 { throw fail("cannot configure the filter graph", status) }
        source = src
        sink = snk!
    }

    /// Hands a frame to the graph (its buffers move in; `frame` is left empty).
    func push(_ frame: Frame) throws {
        guard let source else { return }
        let status = av_buffersrc_add_frame_flags(source, frame.pointer, 0)
        if status < 0 && status != LibAVStatus.endOfFile {
            throw failure("taking a frame", status)
        }
    }

    /// Ends the input at `endPts` (source time base): the time the last frame *ends*, not starts,
    /// so a constant-rate filter keeps the last frame instead of rounding it away.
    func end(at endPts: Int64?) throws {
        guard let source else { return }
        let status = endPts.map { av_buffersrc_close(source, $0, UInt32(AV_BUFFERSRC_FLAG_PUSH)) }
            ?? av_buffersrc_add_frame_flags(source, nil, 0)
        if status < 0 && status != LibAVStatus.endOfFile {
            throw failure("ending the input", status)
        }
    }

    func pull(into frame: Frame) throws -> Pull {
        if sawEnd { return .ended }
        let status = av_buffersink_get_frame(sink, frame.pointer)
        if status >= 0 { return .frame }
        if status == LibAVStatus.tryAgain { return .needsInput }
        if status == LibAVStatus.endOfFile { sawEnd = true; return .ended }
        throw failure("reading a frame", status)
    }

    /// Damaged data is the file's fault (no retry helps); anything else may be the machine's.
    private func failure(_ step: String, _ status: Int32) -> TranscodeError {
        TranscodeError(status == mo_averror_invaliddata() ? .badInput : .processing, file: fileName,
                       "the \(what) could not be processed (\(step)): \(libavErrorText(status))")
    }

    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }
    var outputWidth: Int32 { av_buffersink_get_w(sink) }
    var outputHeight: Int32 { av_buffersink_get_h(sink) }
    var outputFrameRate: AVRational { av_buffersink_get_frame_rate(sink) }

    /// Audio encoders want frames of exactly their frame size (1024 for AAC).
    func setOutputFrameSize(_ samples: Int32) {
        av_buffersink_set_frame_size(sink, UInt32(samples))
    }
}

/// An AVFilterGraph, freed in deinit and only there; the filter contexts created in it go with it.
private final class OwnedFilterGraph {
    let pointer: UnsafeMutablePointer<AVFilterGraph>

    init(fileName: String) throws {
        guard let graph = avfilter_graph_alloc() else { throw TranscodeError.outOfMemory(allocating: "a filter graph", file: fileName) }
        pointer = graph
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFilterGraph>? = pointer
        avfilter_graph_free(&owned)
    }
}
