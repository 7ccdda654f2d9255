import CAV
import Foundation

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
    static let outOfMemory = mo_averror(ENOMEM)
    static let noTimestamp = mo_nopts_value()
}

/// libav (and x264 through it) logs to stderr on its own; the tool's contract is one line of its
/// own on failure, so libav stays quiet unless its lines are routed somewhere: the render child
/// routes warnings and errors into its log (tagged with the job), `--verbose` to stderr.
public enum LibAVLogging {
    /// Receives each whole line libav logs, with libav's level (AV_LOG_ERROR = 16, WARNING = 24, ...).
    public typealias Sink = @Sendable (_ level: Int32, _ line: String) -> Void

    /// Set once, before libav runs: read from libav's threads afterwards.
    nonisolated(unsafe) private static var sink: Sink?

    public static func setVerbose(_ verbose: Bool) {
        _ = LibAVProcess.defaults // so the lazy default cannot undo this choice later
        av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_QUIET)
    }

    /// Sends libav's lines at `level` and more severe to `sink` instead of stderr. Call once,
    /// at start-up, before any libav object exists.
    public static func route(atLevel level: Int32 = AV_LOG_WARNING, to sink: @escaping Sink) {
        _ = LibAVProcess.defaults
        Self.sink = sink
        av_log_set_callback(libavLogLine)
        av_log_set_level(level)
    }

    fileprivate static func deliver(_ level: Int32, _ line: String) { sink?(level, line) }
}

/// libav's log callback: formats the line as libav would print it, then hands it on.
private func libavLogLine(_ context: UnsafeMutableRawPointer?, _ level: Int32, _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?) {
    guard level <= av_log_get_level(), let arguments else { return }
    var buffer = [CChar](repeating: 0, count: 1024)
    var printPrefix: Int32 = 1
    av_log_format_line2(context, level, format, arguments, &buffer, Int32(buffer.count), &printPrefix)
    let line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(in: .whitespacesAndNewlines)
    if !line.isEmpty { LibAVLogging.deliver(level, line) }
}
