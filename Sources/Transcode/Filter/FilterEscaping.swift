/// Quoting for values inside a libavfilter graph description (ffmpeg-filters, "Notes on filtergraph
/// escaping"): once for the filter's option list, once more for the graph. Paths from a workspace
/// may hold ':' ',' or quotes; escaped, they stay one option value.
enum FilterEscaping {
    static func value(_ raw: String) -> String {
        var level1 = ""
        for ch in raw {
            if ch == "\\" || ch == ":" || ch == "'" { level1.append("\\") }
            level1.append(ch)
        }
        var level2 = ""
        for ch in level1 {
            if "\\'[],;".contains(ch) { level2.append("\\") }
            level2.append(ch)
        }
        return level2
    }
}
