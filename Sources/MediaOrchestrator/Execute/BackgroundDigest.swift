import Foundation
import Synchronization
import Transcode

/// SHA-256 of a file computed on a thread of its own while other work goes on.
final class BackgroundDigest: Sendable {
    private let state = Mutex<Result<String, TranscodeError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(path: String, known: String?) {
        if let known {
            state.withLock { $0 = .success(known) }
            done.signal()
            return
        }
        Thread { [self] in
            let r = Result { try ContentDigest.sha256(path: path) }.mapError { $0 as? TranscodeError ?? TranscodeError(.output, file: path, "\($0)") }
            state.withLock { $0 = r }
            done.signal()
        }.start()
    }

    /// Waits for the hash (once), then returns it.
    func result() throws -> String {
        done.wait()
        done.signal() // let later callers through too
        return try state.withLock { $0! }.get()
    }
}
