import CAV

/// An owned AVPacket, reused across reads: `unref` drops the payload, deinit frees the struct.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    /// `file`: the file the packet is read from or written to, named when memory runs out.
    init(file: String = "libav") throws {
        guard let packet = av_packet_alloc() else { throw TranscodeError.outOfMemory(allocating: "a packet", file: file) }
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

    /// A packet holding a copy of `bytes` (libav's padding after them zeroed). A failure after the
    /// packet exists throws from a whole object, so deinit frees it.
    convenience init(copying bytes: [UInt8], file: String) throws {
        try self.init(file: file)
        guard av_new_packet(pointer, Int32(bytes.count)) >= 0 else {
            throw TranscodeError.outOfMemory(allocating: "a packet of \(bytes.count) bytes", file: file)
        }
        if !bytes.isEmpty { bytes.withUnsafeBufferPointer { pointer.pointee.data.update(from: $0.baseAddress!, count: bytes.count) } }
    }
}
