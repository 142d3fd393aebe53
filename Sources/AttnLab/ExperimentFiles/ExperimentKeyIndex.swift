/// Checks key paths against the schema, so a misspelt key is an error and not a silently
/// ignored setting.
struct ExperimentKeyIndex {
    let fieldsByPath: [String: ExperimentField]
    /// Table path ("" = top level) -> its keys in schema order.
    let children: [String: [String]]

    init(fields: [ExperimentField], extraTopLevel: [String] = []) {
        var byPath: [String: ExperimentField] = [:]
        var children: [String: [String]] = ["": []]
        func add(_ table: String, _ child: String) {
            if !children[table, default: []].contains(child) { children[table, default: []].append(child) }
        }
        for field in fields {
            byPath[field.path] = field
            let parts = field.path.split(separator: ".").map(String.init)
            for i in 0..<parts.count {
                add(parts[..<i].joined(separator: "."), parts[i])
            }
        }
        for key in extraTopLevel { add("", key) }
        self.fieldsByPath = byPath
        self.children = children
    }

    /// Nil when `path` names a config key; otherwise the key path to blame (relative to the
    /// section being checked) and what was expected there.
    func problem(path: String, value: ExperimentValue) -> (path: String, text: String)? {
        if fieldsByPath[path] != nil { return nil }
        if let replacement = ExperimentSchema.retiredKeys[path] { return (path, replacement) }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // A scalar key written as a table (`[train.steps]`): blame the scalar key.
        for i in 1..<max(parts.count, 1) {
            let prefix = parts[..<i].joined(separator: ".")
            if let field = fieldsByPath[prefix] {
                return (prefix, "expected \(field.type.expectation), found a table")
            }
        }
        if children[path] != nil {
            return (path, "expected a table, found \(value.found)")
        }
        var table = ""
        for part in parts {
            let next = table.isEmpty ? part : table + "." + part
            guard children[next] != nil || fieldsByPath[next] != nil else {
                let section = table.isEmpty ? "the top level" : "[\(table)]"
                let accepted = (children[table] ?? []).joined(separator: ", ")
                return (next, "unknown key; \(section) accepts \(accepted)")
            }
            table = next
        }
        return (path, "unknown key")
    }
}
