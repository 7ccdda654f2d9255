import Dispatch
import MediaOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C or SIGTERM during `process` cancels the render between packets, so the partial output
/// is removed instead of left behind.
final class InterruptHandler {
    private let sources: [DispatchSourceSignal]

    init(cancelling flag: CancellationFlag) {
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { flag.cancel() }
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
