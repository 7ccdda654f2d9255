import CAV

/// The key/value pairs of an AVDictionary (metadata tags, leftover options), in order.
func dictionaryEntries(_ dict: OpaquePointer?) -> [(key: String, value: String)] {
    var result: [(key: String, value: String)] = []
    var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
    while let next = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
        result.append((String(cString: next.pointee.key), String(cString: next.pointee.value)))
        entry = next
    }
    return result
}

/// An AVDictionary of options built on this side and handed to libav: freed in deinit, and only
/// there. libav takes its address (`&options.pointer`) and may put the options it did not use
/// in its place; those are freed the same way.
final class LibAVDictionary {
    var pointer: OpaquePointer? = nil

    /// `entries` set in order; `file` names the file they are for, in the message when memory runs out.
    init(_ entries: [(key: String, value: String)], file: String) throws {
        for (key, value) in entries {
            guard av_dict_set(&pointer, key, value, 0) >= 0 else {
                throw TranscodeError.outOfMemory(allocating: "the option \(key)", file: file)
            }
        }
    }

    deinit { av_dict_free(&pointer) }

    /// What it holds now (after libav's call: the options libav did not use).
    var entries: [(key: String, value: String)] { dictionaryEntries(pointer) }
}

/// One AVDictionary per stream, as `avformat_find_stream_info` takes them (an array it may fill
/// with others): each freed in deinit, and only there.
final class LibAVDictionaryArray {
    var pointers: [OpaquePointer?]

    init(count: Int) {
        pointers = [OpaquePointer?](repeating: nil, count: count)
    }

    deinit {
        for i in pointers.indices { av_dict_free(&pointers[i]) }
    }

    func set(_ key: String, _ value: String, at index: Int, file: String) throws {
        guard av_dict_set(&pointers[index], key, value, 0) >= 0 else {
            throw TranscodeError.outOfMemory(allocating: "the option \(key) of stream \(index)", file: file)
        }
    }
}
