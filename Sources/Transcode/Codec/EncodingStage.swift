import CAV
import Foundation

/// The encoders and the muxer on a thread of their own, fed filtered frames through a short queue.
///
/// In line (as the ffmpeg 5.1 command line runs), x264's encode call blocks until one of its
/// frame threads frees up, and meanwhile nothing hands the decoder its next packet. Here decoding
/// and filtering run ahead while x264 works, by at most `maxPictures` filtered pictures (small
/// ones: reply-sized, a megabyte or two each). On a 1080x1920 clip this kept 1.92 of 2 cores busy
/// against 1.90 in line (`make bench-replies`). The outputs are the same bytes as in line.
///
/// Ownership: once a track is handed to a stage, only the stage's thread touches that track's
/// encoder and the muxer, until `finish()` or `stop()` has joined the thread.
final class EncodingStage: @unchecked Sendable {
    enum Work {
        /// A filtered frame for a track's encoder (the frame is the stage's from then on).
        case encode(Frame, EncodedTrack)
        /// The track's graph has ended: flush its encoder.
        case flush(EncodedTrack)
    }

    private let maxPictures: Int
    /// Sound frames are small and come in bursts of a demuxer chunk; this only bounds memory.
    private let maxItems = 512
    private let condition = NSCondition()
    /// Taken slots are nil, so a frame's buffers go back to libav as soon as it is encoded.
    private var queue: [Work?] = []
    private var head = 0
    private var picturesQueued = 0
    private var inputClosed = false
    private var abandoned = false
    private var running = false
    private var failure: Error?

    init(maxPictures: Int = 4) {
        self.maxPictures = maxPictures
    }

    func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in work() }
        thread.name = "mediaorch-encode"
        thread.stackSize = 8 << 20 // x264's and the AAC encoder's calls run here: a main thread's usual stack
        thread.start()
    }

    /// Queues work, waiting while the queue is full. Throws what the encoding thread failed with.
    func submit(_ work: Work) throws {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && (picturesQueued >= maxPictures || queue.count - head >= maxItems) {
            condition.wait()
        }
        if let failure { throw failure }
        if case .encode(let frame, _) = work, frame.pointer.pointee.nb_samples == 0 { picturesQueued += 1 }
        queue.append(work)
        condition.broadcast()
    }

    /// Waits until everything queued is encoded and muxed, then rethrows any failure.
    func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        inputClosed = true
        condition.broadcast()
        while running { condition.wait() }
        if let failure { throw failure }
    }

    /// Drops what is queued and joins the thread: the render is failing or cancelled elsewhere.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        abandoned = true
        inputClosed = true
        condition.broadcast()
        while running { condition.wait() }
    }

    private func work() {
        while let next = take() {
            do {
                switch next {
                case .encode(let frame, let track): try track.encode(frame)
                case .flush(let track): try track.encode(nil)
                }
            } catch {
                condition.lock()
                failure = error
                condition.broadcast()
                condition.unlock()
                break
            }
        }
        condition.lock()
        queue.removeAll()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// The next piece of work, or nil once the input is closed and drained (or abandoned).
    private func take() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count && !inputClosed { condition.wait() }
        if abandoned || head == queue.count { return nil }
        let next = queue[head]!
        queue[head] = nil
        head += 1
        if head > 64 && head * 2 > queue.count { queue.removeFirst(head); head = 0 }
        if case .encode(let frame, _) = next, frame.pointer.pointee.nb_samples == 0 { picturesQueued -= 1 }
        condition.broadcast()
        return next
    }
}
