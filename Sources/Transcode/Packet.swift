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

    /// The payload, as libav holds it (valid until the next `unref`).
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer.pointee.data, count: Int(pointer.pointee.size)) }

    /// A packet holding a copy of `bytes` (libav's padding after them zeroed).
    convenience init(copying bytes: [UInt8]) {
        self.init()
        guard av_new_packet(pointer, Int32(bytes.count)) >= 0 else { fatalError("av_new_packet: out of memory") }
        if !bytes.isEmpty { bytes.withUnsafeBufferPointer { pointer.pointee.data.update(from: $0.baseAddress!, count: bytes.count) } }
    }
}
