import CAV

/// An owned AVFrame. Its buffers are refcounted by libav, so handing a frame on (to a filter
/// graph, or a reference to the thumbnail picker) moves or shares them without copying pixels.
public final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() {
        guard let frame = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        pointer = frame
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&owned)
    }

    /// A new frame sharing this one's buffers (no pixel copy).
    func reference() -> Frame? {
        let copy = Frame()
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
