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
