import Foundation
import MediaOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// Progress on stderr: a redrawn bar on a terminal, plain lines every 10% otherwise (logs, CI).
enum ProgressDisplay {
    private static let isTerminal = isatty(STDERR_FILENO) == 1
    private nonisolated(unsafe) static var lastDecile = -1 // only the render thread writes progress
    private nonisolated(unsafe) static var drewBar = false

    static func show(role: String, _ p: RenderProgress) {
        let percent = Int(p.fraction * 100)
        let eta = p.estimatedSecondsLeft.map { String(format: " ETA %.0f s", $0) } ?? ""
        if isTerminal {
            let width = 30
            let filled = Int(p.fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            write("\r\(role) [\(bar)] \(percent)%\(eta)   ")
            drewBar = true
        } else if percent / 10 != lastDecile {
            lastDecile = percent / 10
            write(String(format: "%@: %d%% (%.1f of %.1f s)%@\n", role, percent, p.position, p.duration, eta))
        }
    }

    static func finish() {
        if drewBar { write("\n"); drewBar = false }
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
