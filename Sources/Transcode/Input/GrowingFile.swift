import CAV
import Foundation
import Synchronization

/// What is known, at this moment, of a file that is still arriving (an upload being received).
public enum ArrivalState: Sendable, Equatable {
    /// Bytes [0, acknowledged) are in and final: the server has told the sender so. More may come.
    case arriving(acknowledged: Int64)
    /// All `length` bytes are in.
    case complete(length: Int64)
    /// It will never be whole here: ended, deleted, expired, or started again from its first byte.
    case abandoned(String)
}

/// A file a render reads while it is still being received: reads wait for bytes the sender has
/// not yet sent, and never go past what was acknowledged (bytes after it may still be cut off by
/// a failed checksum). The wait gives up when the arrival is abandoned, when nothing new came in
/// for `stallLimit`, or when the render is cancelled. The bytes are hashed as they become final,
/// so the whole file's SHA-256 is known the moment its last byte is, without a second read.
/// Shared by every reader of the file (the probe, the render): each has its own position.
public final class GrowingFile: Sendable {
    public let path: String
    public let fileName: String
    /// Seconds without a new byte after which the arrival counts as stalled.
    public let stallLimit: TimeInterval
    /// The video's length as the sender declared it: a fragmented stream does not say until its
    /// last fragment, and the render's plan (the end card's start, the thumbnails' times) needs it
    /// up front. A render made with it must be checked against the whole file (`checkDeclaredLength`).
    public let declaredDuration: Double?
    private let fd: Int32
    private let look: @Sendable () -> ArrivalState
    private let pollInterval: TimeInterval
    private let state: Mutex<Progress>

    private struct Progress: ~Copyable {
        var final: Int64 = 0
        var length: Int64? = nil
        var abandoned: String? = nil
        var lastGrowth = ContinuousClock.now
        var digest = StreamingDigest(.sha256)
        var sha256: String? = nil
    }

    /// Opens `path` (which must exist: the upload's first bytes are on disk) for reading.
    /// `look` tells how far the arrival has come; it is called from the reading thread while it waits.
    public init(path: String, stallLimit: TimeInterval, declaredDuration: Double? = nil, pollInterval: TimeInterval = 0.1,
                look: @escaping @Sendable () -> ArrivalState) throws {
        self.path = path
        fileName = URL(fileURLWithPath: path).lastPathComponent
        self.stallLimit = stallLimit
        self.declaredDuration = declaredDuration
        self.look = look
        self.pollInterval = pollInterval
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw TranscodeError(.badInput, file: fileName, "file not found") }
            throw TranscodeError(.output, file: fileName, "cannot be read now: \(String(cString: strerror(errno)))")
        }
        state = Mutex(Progress())
    }

    deinit { close(fd) }

    /// Waits until bytes [0, needed) are final or the file is whole, and returns how many bytes
    /// may be read (at least `needed`, or the whole length when it is shorter).
    func waitFor(_ needed: Int64, cancellation: CancellationFlag?) throws -> Int64 { // blocking: called from render threads only
        while true {
            if let cancellation, cancellation.isCancelled { throw TranscodeError(.cancelled, file: fileName, "cancelled") }
            let (readable, whole) = try refresh()
            if readable >= needed || whole { return readable }
            let quiet = state.withLock { ContinuousClock.now - $0.lastGrowth }
            if quiet > .seconds(stallLimit) {
                throw TranscodeError(.badInput, file: fileName,
                                     "the upload stopped growing: nothing new arrived for \(Int(stallLimit)) s (\(readable) bytes in)")
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    /// The whole file's SHA-256 in hex, waiting for its last byte.
    public func wholeSha256(cancellation: CancellationFlag?) throws -> String {
        _ = try waitFor(.max, cancellation: cancellation)
        return state.withLock { $0.sha256! }
    }

    /// The whole length, once known.
    public var length: Int64? { state.withLock { $0.length } }

    /// Reads up to `count` bytes at `offset`, all of them final; 0 only at the end of the whole file.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64, cancellation: CancellationFlag?) throws -> Int {
        let readable = try waitFor(offset + 1, cancellation: cancellation)
        guard offset < readable else { return 0 }
        let n = Int(min(Int64(count), readable - offset))
        while true {
            let got = pread(fd, buffer, n, off_t(offset))
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw TranscodeError(.output, file: fileName, "cannot be read now: \(String(cString: strerror(errno)))") }
            return got
        }
    }

    /// Asks how far the arrival has come and hashes the bytes that became final since the last
    /// look. Returns the readable length and whether the file is whole.
    private func refresh() throws -> (Int64, Bool) {
        let seen = look()
        return try state.withLock { progress in
            if let reason = progress.abandoned { throw Self.abandoned(fileName, reason) }
            let target: Int64
            switch seen {
            case .abandoned(let reason):
                progress.abandoned = reason
                throw Self.abandoned(fileName, reason)
            case .arriving(let acknowledged):
                guard acknowledged >= progress.final else {
                    progress.abandoned = "it started again from its first byte"
                    throw Self.abandoned(fileName, progress.abandoned!)
                }
                target = acknowledged
            case .complete(let length):
                guard length >= progress.final else {
                    progress.abandoned = "its whole length (\(length) bytes) is shorter than what had arrived"
                    throw Self.abandoned(fileName, progress.abandoned!)
                }
                target = length
                progress.length = length
            }
            if target > progress.final {
                try hash(&progress, upTo: target)
                progress.final = target
                progress.lastGrowth = .now
            }
            if let length = progress.length, progress.sha256 == nil, progress.final == length {
                progress.sha256 = progress.digest.finish().map { String(format: "%02x", $0) }.joined()
            }
            return (progress.final, progress.length != nil)
        }
    }

    private func hash(_ progress: inout Progress, upTo end: Int64) throws {
        let block = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 16)
        defer { buffer.deallocate() }
        var at = progress.final
        while at < end {
            let n = pread(fd, buffer.baseAddress!, Int(min(Int64(block), end - at)), off_t(at))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw TranscodeError(.badInput, file: fileName, n == 0 ? "the file is shorter than the bytes acknowledged for it"
                                                                        : "cannot be read now: \(String(cString: strerror(errno)))")
            }
            progress.digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            at += Int64(n)
        }
    }

    private static func abandoned(_ file: String, _ reason: String) -> TranscodeError {
        TranscodeError(.cancelled, file: file, "the upload ended before it was whole: \(reason)")
    }
}

/// One reader's place in a growing file, for libav's custom I/O (`GrowingFileIO`).
final class GrowingFileCursor {
    let file: GrowingFile
    let cancellation: CancellationFlag?
    var position: Int64 = 0
    /// The error that made a read fail, for the message (libav only sees a code).
    var failure: TranscodeError?

    init(file: GrowingFile, cancellation: CancellationFlag?) {
        self.file = file
        self.cancellation = cancellation
    }
}

/// libav reading a growing file through an AVIOContext of its own: reads wait for final bytes,
/// seeks go anywhere (a read past the final bytes waits), and the file's size is unknown
/// (AVSEEK_SIZE fails) until it is whole, so a demuxer reads forward instead of looking at the end.
final class GrowingFileIO {
    let context: UnsafeMutablePointer<AVIOContext>
    let cursor: GrowingFileCursor

    init(_ cursor: GrowingFileCursor) throws {
        self.cursor = cursor
        let size = 64 << 10
        guard let buffer = av_malloc(size) else { throw TranscodeError.outOfMemory(allocating: "a read buffer", file: cursor.file.fileName) }
        guard let context = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), Int32(size), 0,
                                               Unmanaged.passUnretained(cursor).toOpaque(), growingFileRead, nil, growingFileSeek) else {
            av_free(buffer)
            throw TranscodeError.outOfMemory(allocating: "a reader", file: cursor.file.fileName)
        }
        self.context = context
    }

    deinit {
        // The buffer may have been replaced by libav meanwhile: free whatever the context holds now.
        av_freep(&context.pointee.buffer)
        var owned: UnsafeMutablePointer<AVIOContext>? = context
        avio_context_free(&owned)
    }
}

private func growingFileRead(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int32) -> Int32 {
    guard let opaque, let buffer, size > 0 else { return mo_averror(EINVAL) }
    let cursor = Unmanaged<GrowingFileCursor>.fromOpaque(opaque).takeUnretainedValue()
    do {
        let n = try cursor.file.read(into: buffer, count: Int(size), at: cursor.position, cancellation: cursor.cancellation)
        if n == 0 { return LibAVStatus.endOfFile }
        cursor.position += Int64(n)
        return Int32(n)
    } catch let error as TranscodeError {
        cursor.failure = error
        return mo_averror_exit()
    } catch {
        return mo_averror(EIO)
    }
}

private func growingFileSeek(_ opaque: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32) -> Int64 {
    guard let opaque else { return Int64(mo_averror(EINVAL)) }
    let cursor = Unmanaged<GrowingFileCursor>.fromOpaque(opaque).takeUnretainedValue()
    let how = whence & ~mo_avseek_force()
    if how == mo_avseek_size() { return cursor.file.length ?? Int64(mo_averror(ENOSYS)) }
    let target: Int64
    switch how {
    case SEEK_SET: target = offset
    case SEEK_CUR:
        let (sum, overflow) = cursor.position.addingReportingOverflow(offset)
        guard !overflow else { return Int64(mo_averror(EINVAL)) }
        target = sum
    case SEEK_END:
        guard let length = cursor.file.length else { return Int64(mo_averror(ENOSYS)) }
        let (sum, overflow) = length.addingReportingOverflow(offset)
        guard !overflow else { return Int64(mo_averror(EINVAL)) }
        target = sum
    default: return Int64(mo_averror(EINVAL))
    }
    guard target >= 0 else { return Int64(mo_averror(EINVAL)) }
    cursor.position = target
    return target
}
