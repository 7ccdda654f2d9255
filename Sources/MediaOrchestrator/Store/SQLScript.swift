import Foundation

/// Splits a schema script into its statements: at each `;` outside quotes, `$$` bodies and
/// `--` comments.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = [], current = ""
        var inQuote = false, inDollar = false, inComment = false
        let chars = Array(script)
        var i = 0
        while i < chars.count {
            let c = chars[i], next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if inComment {
                if c == "\n" { inComment = false; current.append(c) }
            } else if inDollar {
                current.append(c)
                if c == "$" && next == "$" { current.append("$"); i += 1; inDollar = false }
            } else if inQuote {
                current.append(c)
                if c == "'" { inQuote = false }
            } else if c == "-" && next == "-" {
                inComment = true
            } else if c == "$" && next == "$" {
                current += "$$"; i += 1; inDollar = true
            } else if c == "'" {
                current.append(c); inQuote = true
            } else if c == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
