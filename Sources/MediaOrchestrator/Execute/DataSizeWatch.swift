import Foundation
import Synchronization

/// In a capped render child: its own data size (VmData, what RLIMIT_DATA counts), read every
/// 5 ms on a thread of its own, highest kept. When an allocation fails at the cap the memory is
/// freed again as the error unwinds, so only a watch that saw the climb can say it was the cap.
/// It watches the setting up (decoders, filters, encoders: the quick climb the parent's slower
/// look misses) and stops at the first progress report or after 10 s: its own reads of /proc
/// would otherwise look like work to the parent's hang detection.
final class DataSizeWatch: Sendable {
    private let state = Mutex<(highest: Int, running: Bool)>((0, true))

    init(watching: Bool) {
        guard watching else { state.withLock { $0.running = false }; return }
        let pid = getpid(), until = Date().addingTimeInterval(10)
        Thread { [self] in
            while state.withLock({ $0.running }) && Date() < until {
                let now = ChildActivity.dataSizeKB(of: pid)
                state.withLock { $0.highest = max($0.highest, now) }
                usleep(5000)
            }
        }.start()
    }

    /// The highest data size seen, KiB (nil when not watching).
    var highest: Int? {
        let (highest, _) = state.withLock { ($0.highest, $0.running) }
        return highest > 0 ? highest : nil
    }

    func stop() { state.withLock { $0.running = false } }
}
