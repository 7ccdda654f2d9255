import CAV

/// An owned AVPacket, reused across reads: `unref` drops the payload, deinit frees the struct.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() {
        guard let packet = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = packet
    }

    deinit {
        var owned: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&owned)
    }

    func unref() { av_packet_unref(pointer) }

    var streamIndex: Int { Int(pointer.pointee.stream_index) }
}
