import CAV

/// libav's own text for an error code ("Invalid data found when processing input"), so messages
/// say what went wrong rather than printing -1094995529.
func libavErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    return buffer.withUnsafeMutableBufferPointer { buf in
        String(cString: mo_error_string(code, buf.baseAddress, buf.count))
    }
}

/// libav's negative-errno convention (AVERROR(EAGAIN)) and its end-of-stream marker.
enum LibAVStatus {
    static let endOfFile = mo_averror_eof()
    static let tryAgain = mo_averror_eagain()
    static let noTimestamp = mo_nopts_value()
}

/// libav logs to stderr on its own; the tool's contract is one line of its own on failure, so
/// libav stays quiet unless a producer asks for its diagnostics.
public enum LibAVLogging {
    public static func setVerbose(_ verbose: Bool) {
        _ = quietByDefault // so the lazy default cannot undo this choice later
        av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_QUIET)
    }

    /// Quiet by default the first time any libav object is made in this process.
    static let quietByDefault: Void = { av_log_set_level(AV_LOG_QUIET) }()
}
