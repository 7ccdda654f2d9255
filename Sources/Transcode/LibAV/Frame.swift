import CAV

/// An owned AVFrame. Its buffers are refcounted by libav, so handing a frame on (to a filter
/// graph, or a reference to the thumbnail picker) moves or shares them without copying pixels.
public final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    /// `file`: the file the frame is decoded from or encoded into, named when memory runs out.
    init(file: String = "libav") throws {
        guard let frame = av_frame_alloc() else { throw TranscodeError.outOfMemory(allocating: "a frame", file: file) }
        pointer = frame
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&owned)
    }

    /// A new frame sharing this one's buffers (no pixel copy); nil when libav cannot share them.
    /// Throws when the new frame cannot be allocated.
    func reference(file: String) throws -> Frame? {
        let copy = try Frame(file: file)
        return av_frame_ref(copy.pointer, pointer) >= 0 ? copy : nil
    }

    func unref() { av_frame_unref(pointer) }

    var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }

    /// A frame of sound's length in `timeBase` ticks, by its samples.
    func soundDuration(in timeBase: AVRational) -> Int64 {
        av_rescale_q(Int64(pointer.pointee.nb_samples), AVRational(num: 1, den: pointer.pointee.sample_rate), timeBase)
    }

    public var width: Int { Int(pointer.pointee.width) }
    public var height: Int { Int(pointer.pointee.height) }
}
