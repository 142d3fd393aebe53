import Foundation
import TOMLKit

/// Reading TOML text and `--set` arguments into layers of leaves.
enum ExperimentParsing {
    /// The top-level table of a TOML document, or an error naming `source` and the line. NUL
    /// characters (raw or escaped) are errors naming the key path: TOMLKit would cut the string
    /// (or the document) short at them; table headers toml++ would abort on are syntax errors.
    static func parseDocument(_ text: String, source: String) throws -> [String: ExperimentValue] {
        let scan = TOMLPreScan(text)
        // Headers first: naming a NUL's key path parses the document again.
        guard scan.badHeaders.isEmpty else { throw ExperimentError(scan.headerMessages(source: source)) }
        guard scan.hits.isEmpty else { throw ExperimentError(scan.messages(source: source)) }
        do {
            return ExperimentValue.dictionary(try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            let at = error.source.begin
            throw ExperimentError(
                "\(source): line \(at.line), column \(at.column): TOML syntax error: \(error.description)")
        }
    }

    /// Every non-table value of `table` as a leaf blamed on `source`, with key paths written as
    /// `keyPrefix` + path.
    static func leaves(
        _ table: [String: ExperimentValue], source: String, keyPrefix: String = ""
    ) -> ExperimentLayer {
        var layer: ExperimentLayer = [:]
        for (path, value) in ExperimentValue.flatten(table) {
            layer[path] = ExperimentLeaf(value: value, origin: ExperimentOrigin(source: source, keyPath: keyPrefix + path))
        }
        return layer
    }

    /// Config keys of `layer` that the schema does not know, as messages.
    static func unknownKeys(_ layer: ExperimentLayer, index: ExperimentKeyIndex, keyPrefix: String = "") -> [String] {
        layer.values.sorted { $0.origin.keyPath < $1.origin.keyPath }.compactMap { leaf in
            let relative = String(leaf.origin.keyPath.dropFirst(keyPrefix.count))
            guard let problem = index.problem(path: relative, value: leaf.value) else { return nil }
            return ExperimentOrigin(source: leaf.origin.source, keyPath: keyPrefix + problem.path).message(problem.text)
        }
    }

    /// `KEY=VALUE` from the command line. VALUE is read as a TOML value (integer, float, boolean,
    /// quoted string, array); anything that is not valid TOML but does not look like an attempt at
    /// a quoted string, array or table is taken as a bare string, so `kind=gqa` and
    /// `path=data/x.bin` work without shell-quoting.
    static func override(_ argument: String) throws -> (path: String, leaf: ExperimentLeaf) {
        guard let eq = argument.firstIndex(of: "=") else {
            throw ExperimentError(
                "--set: \(argument): expected KEY=VALUE (for example train.steps=200), found no \"=\"")
        }
        let path = argument[..<eq].trimmingCharacters(in: .whitespaces)
        let raw = argument[argument.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if argument.unicodeScalars.contains("\0") {
            let at = path.unicodeScalars.contains("\0") ? "" : " " + path + ":"
            throw ExperimentError("--set:\(at) NUL characters are not allowed in KEY=VALUE; found a raw NUL byte")
        }
        // Only TOML strings (quoted, or inside an array or table) have escapes; a bare word is literal.
        if let first = raw.first, "\"[{".contains(first), let hit = TOMLPreScan("v = " + raw).hits.first {
            throw ExperimentError(ExperimentOrigin(source: "--set", keyPath: path)
                .message("NUL characters are not allowed in strings; found \(hit.found)"))
        }
        let keyOK = !path.isEmpty && path.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        }
        guard keyOK else {
            throw ExperimentError(
                "--set: \(argument): expected KEY=VALUE with KEY a dotted key path like model.attention.kind, found \"\(path)\"")
        }
        let origin = ExperimentOrigin(source: "--set", keyPath: path)
        guard !raw.isEmpty else { throw ExperimentError(origin.message("expected a value after \"=\", found nothing")) }
        if !raw.contains(where: \.isNewline), let table = try? parseDocument("v = " + raw, source: "--set"),
            table.count == 1, let value = table["v"]
        {
            return (path, ExperimentLeaf(value: value, origin: origin))
        }
        guard let first = raw.first, !"\"'[{".contains(first), !raw.contains(where: \.isNewline) else {
            throw ExperimentError(origin.message("expected a TOML value (number, true/false, string, array), found \(raw)"))
        }
        return (path, ExperimentLeaf(value: .string(raw), origin: origin))
    }
}
