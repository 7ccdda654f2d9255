import Foundation
import Transcode

/// The service's side of a render child: starts `mediaorch render-attempt`, hands it the
/// assignment, relays its progress, and stops it when the attempt is cancelled, its lease is
/// lost, or it makes no progress for `stallTimeout`. Whatever the child does (a crash, a hang,
/// running out of memory), this returns an outcome in plain words. Blocking: call it on a thread
/// of its own.
struct RenderChild {
    /// The binary to re-execute (this process's own executable).
    let executable: String
    /// Seconds without a message from the child before it is called hung and stopped.
    let stallTimeout: TimeInterval
    /// Seconds between SIGTERM and SIGKILL when the child has to be stopped.
    var killGrace: TimeInterval = 5

    enum Outcome: Sendable, Equatable {
        case succeeded(manifestSha256: String, readyToPost: Bool, stageSeconds: [String: Double])
        /// The child reported the failure itself (bad input, a rule broken, a disk error).
        case failed(reason: String, permanent: Bool)
        /// Stopped because the attempt was cancelled or its lease lost (not the file's fault).
        case stopped
        /// The child died or hung: a crash, a memory cap, no progress.
        case crashed(reason: String)
    }

    func run(_ assignment: RenderAssignment, cancellation: CancellationFlag,
             progress: @escaping @Sendable (String, RenderProgress) -> Void) -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["render-attempt"]
        // The child dies with this process (PR_SET_PDEATHSIG), checking it was not orphaned first.
        process.environment = ProcessInfo.processInfo.environment.merging(["MEDIAORCH_RENDER_PARENT": "\(getpid())"]) { $1 }
        let toChild = Pipe(), fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        // The child's log lines (libav's included) go where the service's go.
        process.standardError = FileHandle.standardError
        do { try process.run() } catch {
            return .crashed(reason: "could not start the render process \(executable): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        if let data = try? JSONOutput.encoder().encode(assignment) {
            try? toChild.fileHandleForWriting.write(contentsOf: data)
        }
        try? toChild.fileHandleForWriting.close()

        var reader = LineReader(fd: fromChild.fileHandleForReading.fileDescriptor)
        var result: RenderChildMessage? = nil
        var lastMessage = Date()
        var position = 0.0, duration = 0.0, stage = "reply"
        var peakDataKB = 0
        /// Why this side stopped the child, if it did: nil, a cancellation, or a hang (the reason).
        var stalled: String? = nil
        var stopping = false
        var termSentAt = Date.distantFuture

        while true {
            for line in reader.poll(timeoutMilliseconds: 250) {
                guard let message = try? JSONDecoder().decode(RenderChildMessage.self, from: line) else { continue }
                lastMessage = Date()
                switch message {
                case .progress(let s, let p):
                    (stage, position, duration) = (s, p.position, p.duration)
                    progress(s, p)
                case .succeeded, .failed:
                    result = message
                }
            }
            peakDataKB = max(peakDataKB, Self.dataSizeKB(of: pid))
            if reader.ended { break }
            if !stopping {
                if !cancellation.isCancelled && Date().timeIntervalSince(lastMessage) > stallTimeout {
                    stalled = "the render made no progress for \(Int(stallTimeout)) s (at \(String(format: "%.1f", position)) s of the \(stage)) and was stopped"
                }
                if cancellation.isCancelled || stalled != nil {
                    stopping = true
                    kill(pid, SIGTERM)
                    termSentAt = Date()
                }
            } else if Date().timeIntervalSince(termSentAt) > killGrace {
                kill(pid, SIGKILL)
            }
        }
        process.waitUntilExit()
        try? fromChild.fileHandleForReading.close()

        if let stalled { return .crashed(reason: stalled) }
        if stopping { return .stopped }
        // Near the cap when last looked at (polled, so a fast climb may be missed): allocations
        // failing there are the cap's doing, not the file's.
        let capped = assignment.memoryCapMegabytes.map { peakDataKB >= $0 * 1024 * 8 / 10 } ?? false
        switch result {
        case .succeeded(let sha, let ready, let stages)?:
            return .succeeded(manifestSha256: sha, readyToPost: ready, stageSeconds: stages)
        case .failed(let reason, let permanent, let cancelled)?:
            if cancelled { return .stopped }
            if capped || reason.contains("Cannot allocate memory"), let limit = memoryLimitText(assignment) {
                return .failed(reason: "\(reason) (the render reached its memory cap of \(limit))", permanent: false)
            }
            return .failed(reason: reason, permanent: permanent)
        default:
            break
        }
        let at = duration > 0 ? " at \(String(format: "%.1f s of %.1f s", position, duration)) of the \(stage)" : " before it started rendering"
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            let name = String(cString: strsignal(signal))
            if capped, let limit = memoryLimitText(assignment) {
                return .crashed(reason: "the render ran past its memory cap of \(limit) on this file and died (signal \(signal), \(name))\(at)")
            }
            return .crashed(reason: "the render crashed on this file (signal \(signal), \(name))\(at)")
        }
        if capped, let limit = memoryLimitText(assignment) {
            return .crashed(reason: "the render ran past its memory cap of \(limit) on this file (exit status \(process.terminationStatus))\(at)")
        }
        return .crashed(reason: "the render process ended without saying how (exit status \(process.terminationStatus))\(at)")
    }

    private func memoryLimitText(_ assignment: RenderAssignment) -> String? {
        assignment.memoryCapMegabytes.map { "\($0) MB" }
    }

    /// The child's current data size (VmData, KiB) from /proc: what RLIMIT_DATA counts.
    private static func dataSizeKB(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmData:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}

/// Newline-separated records from a pipe, read with poll so the caller can do other checks
/// between reads.
struct LineReader {
    let fd: Int32
    private var pending = Data()
    private(set) var ended = false

    init(fd: Int32) { self.fd = fd }

    /// Waits up to `timeoutMilliseconds` for data; returns the whole lines that arrived.
    mutating func poll(timeoutMilliseconds: Int32) -> [Data] {
        guard !ended else { return [] }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&descriptor, 1, timeoutMilliseconds)
        guard ready > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 {
            if n < 0 && (errno == EINTR || errno == EAGAIN) { return [] }
            ended = true
            return []
        }
        pending.append(contentsOf: buffer[0..<n])
        var lines: [Data] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(pending[pending.startIndex..<newline])
            pending.removeSubrange(pending.startIndex...newline)
        }
        // A child that writes a huge line without a newline is not speaking the protocol.
        if pending.count > 16 << 20 { pending.removeAll() }
        return lines
    }
}
