/// Re-wraps caption text to a frame's line length with balanced breaks: lines of similar length,
/// no lone word on a line of its own when the words can be shared out.
public enum LineWrapper {
    public static func wrap(_ text: String, maxCharacters: Int, maxLines: Int) -> [String] {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { return [] }
        let total = words.joined(separator: " ").count
        if total <= maxCharacters { return [words.joined(separator: " ")] }
        let fewest = max(2, (total + maxCharacters - 1) / maxCharacters)
        var best: [String]? = nil
        for lines in fewest...max(fewest, min(words.count, max(maxLines, fewest))) {
            let candidate = balanced(words, lines: lines, maxCharacters: maxCharacters)
            best = candidate
            if candidate.allSatisfy({ $0.count <= maxCharacters }) { break }
        }
        return best ?? [text]
    }

    /// Splits `words` into exactly `lines` lines minimising the spread of line lengths, with a heavy
    /// price on lines over the limit and on one-word lines.
    static func balanced(_ words: [String], lines: Int, maxCharacters: Int) -> [String] {
        let n = words.count
        let lineCount = min(lines, n)
        let target = Double(words.joined(separator: " ").count) / Double(lineCount)
        func length(_ i: Int, _ j: Int) -> Int { words[i..<j].reduce(0) { $0 + $1.count } + (j - i - 1) }
        func cost(_ i: Int, _ j: Int) -> Double {
            let len = length(i, j)
            var c = (Double(len) - target) * (Double(len) - target)
            if len > maxCharacters { c += 1_000_000 + Double(len - maxCharacters) * 10_000 }
            if j - i == 1 && n > lineCount { c += 50_000 }
            return c
        }
        // best[k][j]: the cheapest split of words[0..<j] into k lines.
        var best = Array(repeating: Array(repeating: Double.infinity, count: n + 1), count: lineCount + 1)
        var from = Array(repeating: Array(repeating: 0, count: n + 1), count: lineCount + 1)
        best[0][0] = 0
        for k in 1...lineCount {
            for j in k...n {
                for i in (k - 1)..<j where best[k - 1][i] < .infinity {
                    let c = best[k - 1][i] + cost(i, j)
                    if c < best[k][j] { best[k][j] = c; from[k][j] = i }
                }
            }
        }
        var result: [String] = []
        var j = n
        for k in stride(from: lineCount, through: 1, by: -1) {
            let i = from[k][j]
            result.insert(words[i..<j].joined(separator: " "), at: 0)
            j = i
        }
        return result
    }
}
