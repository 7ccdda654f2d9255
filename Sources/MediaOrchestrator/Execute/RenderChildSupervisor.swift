import Foundation
import Synchronization
import Transcode

/// The service's side of a render child: starts `mediaorch render-attempt`, hands it the
/// assignment, relays its progress, and stops it when the attempt is cancelled, its lease is
/// lost, or it does nothing at all for `stallTimeout`. Whatever the child does (a crash, a hang,
/// running out of memory), this returns an outcome in plain words. Blocking: call it on a thread
/// of its own.
struct RenderChildSupervisor {
    /// The binary to re-execute: /proc/self/exe, this process's own image even after an upgrade
    /// replaced the file on disk (a newer binary might not read this one's assignments).
    let executable: String
    /// Seconds in which the child neither reports, nor uses CPU, nor reads a byte before it is
    /// called hung and stopped. Copying or hashing a long cut reports nothing but keeps busy.
    let stallTimeout: TimeInterval
    /// Seconds between SIGTERM and SIGKILL when the child has to be stopped.
    var killGrace: TimeInterval = 5

    enum Failure: String, Sendable { case crashed, hung, memory, couldNotStart = "could_not_start" }

    enum Outcome: Sendable, Equatable {
        case succeeded(manifestSha256: String, readyToPost: Bool, stageSeconds: [String: Double])
        /// The child reported the failure itself (bad input, a rule broken, a disk error).
        case failed(reason: String, permanent: Bool)
        /// Stopped because the attempt was cancelled or its lease lost (not the file's fault).
        case stopped
        /// The child died, hung, outgrew its memory cap, or could not start.
        case died(Failure, reason: String)
    }

    /// Pipes are made without close-on-exec: a child started while another worker is making its
    /// pipes could inherit them and keep them open (no end of file, a render called hung).
    /// Making the pipes and starting the child are one step across the process.
    private static let spawning = Mutex(())

    func run(_ assignment: RenderAssignment, cancellation: CancellationFlag,
             progress: @escaping @Sendable (String, RenderProgress) -> Void) -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["render-attempt"]
        // The child dies with this process (PR_SET_PDEATHSIG), checking it was not orphaned first.
        process.environment = ProcessInfo.processInfo.environment.merging(["MEDIAORCH_RENDER_PARENT": "\(getpid())"]) { $1 }
        // The child's log lines (libav's included) go where the service's go.
        process.standardError = FileHandle.standardError
        let started: Result<(toChild: Pipe, fromChild: Pipe), any Error> = Self.spawning.withLock { _ in
            let toChild = Pipe(), fromChild = Pipe()
            process.standardInput = toChild
            process.standardOutput = fromChild
            return Result { try process.run(); return (toChild, fromChild) }
        }
        guard case .success(let (toChild, fromChild)) = started else {
            if case .failure(let error) = started {
                return .died(.couldNotStart, reason: "could not start the render process \(executable): \(error.localizedDescription)")
            }
            return .died(.couldNotStart, reason: "could not start the render process \(executable)")
        }
        let pid = process.processIdentifier
        if let data = try? JSONCoding.encoder().encode(assignment) {
            try? toChild.fileHandleForWriting.write(contentsOf: data) // EPIPE if it died at once: SIGPIPE is ignored
        }
        try? toChild.fileHandleForWriting.close()

        var reader = LineReader(fd: fromChild.fileHandleForReading.fileDescriptor)
        let decoder = JSONDecoder()
        var result: RenderChildMessage? = nil
        var busy = ChildActivity(pid: pid)
        var lastSignOfLife = ContinuousClock.now
        var position = 0.0, duration = 0.0, stage = "reply"
        var peakDataKB = 0
        var stalled: String? = nil
        var stopping = false
        var termSentAt = ContinuousClock.now

        while true {
            for line in reader.poll(timeoutMilliseconds: 250) {
                guard let message = try? decoder.decode(RenderChildMessage.self, from: line) else { continue }
                lastSignOfLife = .now
                switch message {
                case .progress(let s, let p):
                    (stage, position, duration) = (s, p.position, p.duration)
                    progress(s, p)
                case .succeeded, .failed:
                    result = message
                }
            }
            if busy.advanced() { lastSignOfLife = .now }
            peakDataKB = max(peakDataKB, busy.dataSizeKB)
            if reader.ended { break }
            if !stopping {
                if !cancellation.isCancelled && result == nil && ContinuousClock.now - lastSignOfLife > .seconds(stallTimeout) {
                    stalled = "the render did nothing for \(Int(stallTimeout)) s (no progress, no CPU, no reads; at \(String(format: "%.1f", position)) s of the \(stage)) and was stopped"
                }
                if cancellation.isCancelled || stalled != nil {
                    stopping = true
                    kill(pid, SIGTERM)
                    termSentAt = .now
                }
            } else if ContinuousClock.now - termSentAt > .seconds(killGrace) {
                kill(pid, SIGKILL)
            }
        }
        process.waitUntilExit()
        try? fromChild.fileHandleForReading.close()
        return outcome(result: result, stalled: stalled, stopping: stopping, process: process, assignment: assignment,
                       peakDataKB: peakDataKB, at: duration > 0
                           ? " at \(String(format: "%.1f s of %.1f s", position, duration)) of the \(stage)" : " before it started rendering")
    }

    private func outcome(result: RenderChildMessage?, stalled: String?, stopping: Bool, process: Process,
                         assignment: RenderAssignment, peakDataKB: Int, at: String) -> Outcome {
        // What the child said wins; a stop this side asked for wins over the child's last words.
        if let stalled, result == nil { return .died(.hung, reason: stalled) }
        if stopping && stalled == nil { return .stopped }
        // Near the cap when last looked at (polled, so a fast climb may be missed): allocations
        // failing there are the cap's doing, not the file's, so a retry is allowed.
        let limit = assignment.memoryCapMegabytes.map { "\($0) MB" }
        let capped = assignment.memoryCapMegabytes.map { peakDataKB >= $0 * 1024 * 8 / 10 } ?? false
        switch result {
        case .succeeded(let sha, let ready, let stages)?:
            return .succeeded(manifestSha256: sha, readyToPost: ready, stageSeconds: stages)
        case .failed(let reason, let permanent, let cancelled, let childPeakKB)?:
            if cancelled { return .stopped }
            // The child's own peak is exact but leaves out the allocation that failed (a thread's
            // stack, an encoder's buffers: often tens of MB), hence the lower mark.
            let cappedToo = assignment.memoryCapMegabytes.map { (childPeakKB ?? 0) >= $0 * 1024 * 6 / 10 } ?? false
            if capped || cappedToo || reason.contains("Cannot allocate memory"), let limit {
                return .failed(reason: "\(reason) (the render reached its memory cap of \(limit))", permanent: false)
            }
            return .failed(reason: reason, permanent: permanent)
        case .progress?, nil:
            break
        }
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            let name = String(cString: strsignal(signal))
            if capped, let limit {
                return .died(.memory, reason: "the render ran past its memory cap of \(limit) on this file and died (signal \(signal), \(name))\(at)")
            }
            return .died(.crashed, reason: "the render crashed on this file (signal \(signal), \(name))\(at)")
        }
        if capped, let limit {
            return .died(.memory, reason: "the render ran past its memory cap of \(limit) on this file (exit status \(process.terminationStatus))\(at)")
        }
        return .died(.crashed, reason: "the render process ended without saying how (exit status \(process.terminationStatus))\(at)")
    }
}

/// Whether a child is doing anything, read from /proc: CPU time used and bytes read. A render
/// stuck on a lock or a dead filesystem shows neither; one copying or hashing shows both.
struct ChildActivity {
    let pid: Int32
    private var cpuTicks = -1
    private var bytesRead = -1
    private(set) var dataSizeKB = 0

    init(pid: Int32) { self.pid = pid }

    /// True when the child used CPU or read since the last call.
    mutating func advanced() -> Bool {
        let cpu = Self.cpuTicks(of: pid), read = Self.bytesRead(of: pid)
        dataSizeKB = Self.dataSizeKB(of: pid)
        defer { (cpuTicks, bytesRead) = (cpu, read) }
        return (cpuTicks >= 0 && cpu > cpuTicks) || (bytesRead >= 0 && read > bytesRead)
    }

    /// utime + stime from /proc/PID/stat (fields 14 and 15, after the parenthesised name).
    private static func cpuTicks(of pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return -1 }
        return user + system
    }

    /// rchar from /proc/PID/io: every byte read, from disk or cache.
    private static func bytesRead(of pid: Int32) -> Int {
        guard let io = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return -1 }
        return io.split(separator: "\n").first { $0.hasPrefix("rchar:") }
            .flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) } ?? -1
    }

    /// VmData (KiB) from /proc/PID/status: what RLIMIT_DATA counts.
    static func dataSizeKB(of pid: Int32) -> Int {
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
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private(set) var ended = false

    init(fd: Int32) { self.fd = fd }

    /// Waits up to `timeoutMilliseconds` for data; returns the whole lines that arrived.
    mutating func poll(timeoutMilliseconds: Int32) -> [Data] {
        guard !ended else { return [] }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&descriptor, 1, timeoutMilliseconds)
        guard ready > 0 else { return [] }
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
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
