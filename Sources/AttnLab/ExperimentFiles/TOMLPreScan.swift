import TOMLKit

/// What a TOML document must be checked for before TOMLKit parses it, found in one pass:
///
/// - NUL characters. TOMLKit is built on toml++ and passes the document, keys and strings
///   through C strings, so a NUL would silently cut them short: a raw NUL byte ends the document
///   there, and the escapes `\u0000` and `\U00000000` in basic and multi-line basic strings
///   (values or quoted keys) end the string. Literal strings (`'...'`) have no escapes, so
///   `'\u0000'` is six harmless characters.
/// - Table headers whose first key does not start with a key character or a quote (`[[[a]]]`,
///   `[=a]`, `[.a]`, `[#a]`, or `[` alone on a line): toml++ 3 assumes it does and aborts the
///   process on an assertion.
struct TOMLPreScan {
    /// One NUL: where it is and how it was written.
    struct Hit {
        let line: Int
        let column: Int
        /// `\u0000`, `\U00000000`, or nil for a raw NUL byte.
        let escape: String?
        /// Unicode-scalar offsets of the NUL as written.
        let range: Range<Int>
        let context: Context

        var found: String { escape.map { "a \($0) escape" } ?? "a raw NUL byte" }
    }

    enum Context { case basicString, literalString, elsewhere }

    let hits: [Hit]
    /// Table headers toml++ would abort on: line, column and the offending character.
    let badHeaders: [(line: Int, column: Int, found: Unicode.Scalar)]
    private let scalars: [Unicode.Scalar]
    /// Every scalar the document holds, raw or escaped; sentinels must avoid them.
    private let used: Set<UInt32>

    private enum State { case outside, comment, basic, multiLineBasic, literal, multiLineLiteral }

    init(_ text: String) {
        let s = Array(text.unicodeScalars)
        var hits: [Hit] = []
        var badHeaders: [(line: Int, column: Int, found: Unicode.Scalar)] = []
        var atLineStart = true
        var used = Set<UInt32>()
        var state = State.outside
        var (i, line, lineStart) = (0, 1, 0)
        /// Length of the run of `quote` characters starting at `k`.
        func run(of quote: Unicode.Scalar, at k: Int) -> Int {
            var n = 0
            while k + n < s.count, s[k + n] == quote { n += 1 }
            return n
        }
        while i < s.count {
            let c = s[i]
            used.insert(c.value)
            if c == "\n" {
                if state == .comment || state == .basic || state == .literal { state = .outside }
                line += 1
                lineStart = i + 1
                atLineStart = true
                i += 1
                continue
            }
            if state == .outside && atLineStart && c == "[" {
                var j = i + 1
                if j < s.count && s[j] == "[" { j += 1 }
                while j < s.count && (s[j] == " " || s[j] == "\t") { j += 1 }
                // A line end right after the bracket(s) (`[` or `[[` alone on a line) aborts
                // toml++ too; only the end of the document is reported by toml++ itself.
                if j < s.count && !Self.startsKey(s[j]) {
                    badHeaders.append((line, j - lineStart + 1, s[j]))
                }
            }
            if c != " " && c != "\t" { atLineStart = false }
            let context: Context
            switch state {
            case .basic, .multiLineBasic: context = .basicString
            case .literal, .multiLineLiteral: context = .literalString
            case .outside, .comment: context = .elsewhere
            }
            if c == "\0" {
                hits.append(Hit(line: line, column: i - lineStart + 1, escape: nil, range: i..<(i + 1), context: context))
                i += 1
                continue
            }
            switch state {
            case .outside:
                if c == "#" {
                    state = .comment
                } else if c == "\"" || c == "'" {
                    let triple = run(of: c, at: i) >= 3
                    state = c == "\"" ? (triple ? .multiLineBasic : .basic) : (triple ? .multiLineLiteral : .literal)
                    i += triple ? 3 : 1
                    continue
                }
            case .comment:
                break
            case .basic, .multiLineBasic:
                if c == "\\", i + 1 < s.count {
                    let next = s[i + 1]
                    let digits = next == "u" ? 4 : next == "U" ? 8 : 0
                    if digits > 0, i + 2 + digits <= s.count,
                       let value = UInt32(String(String.UnicodeScalarView(s[(i + 2)..<(i + 2 + digits)])), radix: 16)
                    {
                        used.insert(value)
                        if value == 0 {
                            hits.append(Hit(
                                line: line, column: i - lineStart + 1, escape: "\\" + String(next) + String(repeating: "0", count: digits),
                                range: i..<(i + 2 + digits), context: .basicString))
                        }
                        i += 2 + digits
                        continue
                    }
                    // `\\`, `\"` and the like: skip the escaped character (a newline is counted above).
                    i += next == "\n" ? 1 : 2
                    continue
                }
                if c == "\"" {
                    // A run of three or more closes a multi-line string (up to two quotes before
                    // the delimiter are content); one closes a basic string.
                    let quotes = state == .basic ? 1 : run(of: c, at: i)
                    if state == .basic || quotes >= 3 { state = .outside }
                    i += quotes
                    continue
                }
            case .literal:
                if c == "'" { state = .outside }
            case .multiLineLiteral:
                if c == "'" {
                    let quotes = run(of: c, at: i)
                    if quotes >= 3 { state = .outside }
                    i += quotes
                    continue
                }
            }
            i += 1
        }
        self.hits = hits
        self.badHeaders = badHeaders
        self.scalars = s
        self.used = used
    }

    /// A bare key character (A-Z a-z 0-9 _ -) or a string delimiter: what a key must start with.
    static func startsKey(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
            || c == "_" || c == "-" || c == "\"" || c == "'"
    }

    /// One message per table header toml++ cannot parse, naming `source`, line and column.
    func headerMessages(source: String) -> [String] {
        badHeaders.map {
            "\(source): line \($0.line), column \($0.column): TOML syntax error: a table header's key must start with a letter, digit, _, - or a quote; found '\($0.found.escaped(asASCII: true))'"
        }
    }

    /// One message per NUL, naming `source`, the key path where it can be found (the value or
    /// key holding it; otherwise the line and column) and saying NUL is not allowed.
    func messages(source: String) -> [String] {
        let paths = keyPaths()
        return hits.enumerated().map { k, hit in
            let at = "line \(hit.line), column \(hit.column)"
            guard let path = paths[k] else {
                return "\(source): \(at): NUL characters are not allowed in TOML files (experiments, verdicts); found \(hit.found)"
            }
            return "\(source): \(path): NUL characters are not allowed in strings or keys; found \(hit.found) at \(at)"
        }
    }

    /// Key paths (`a.b`, `variants[0].name`) of the hits inside strings, by hit index. The
    /// document is parsed once more with hit k replaced by a private-use character that occurs
    /// nowhere else, so TOMLKit's own parse says which value or key holds it.
    private func keyPaths() -> [Int: String] {
        guard let base = stride(from: UInt32(0xF0000), to: 0xFFFFD - UInt32(hits.count), by: 0x1000)
            .first(where: { b in !used.contains { $0 >= b && $0 < b + UInt32(hits.count) } })
        else { return [:] }
        var text = String.UnicodeScalarView()
        var next = 0
        for (k, hit) in hits.enumerated() {
            text.append(contentsOf: scalars[next..<hit.range.lowerBound])
            let sentinel = base + UInt32(k)
            switch hit.context {
            case .basicString: text.append(contentsOf: "\\U000\(String(sentinel, radix: 16, uppercase: true))".unicodeScalars)
            case .literalString: text.append(Unicode.Scalar(sentinel)!)
            case .elsewhere: text.append(" ")
            }
            next = hit.range.upperBound
        }
        text.append(contentsOf: scalars[next...])
        // toml++ aborts on the headers `badHeaders` lists, so with any of them there is no re-parse.
        guard badHeaders.isEmpty, let table = try? TOMLTable(string: String(text)) else { return [:] }
        var paths: [Int: String] = [:]
        let sentinels = base..<(base + UInt32(hits.count))
        /// Records `path` for every sentinel in `s`; returns `s` with them shown as `\u0000`.
        func mark(_ s: String, _ path: (String) -> String) -> String {
            let shown = String(String.UnicodeScalarView(s.unicodeScalars.flatMap { sentinels.contains($0.value) ? Array("\\u0000".unicodeScalars) : [$0] }))
            for scalar in s.unicodeScalars where sentinels.contains(scalar.value) {
                paths[Int(scalar.value - base)] = path(shown)
            }
            return shown
        }
        func walk(_ value: ExperimentValue, _ path: String) {
            switch value {
            case .string(let s): _ = mark(s) { _ in path }
            case .array(let items): for (i, item) in items.enumerated() { walk(item, "\(path)[\(i)]") }
            case .table(let t):
                for (key, child) in t {
                    let shown = mark(key) { path.isEmpty ? $0 : path + "." + $0 }
                    walk(child, path.isEmpty ? shown : path + "." + shown)
                }
            default: break
            }
        }
        walk(.table(ExperimentValue.dictionary(table)), "")
        return paths
    }
}
