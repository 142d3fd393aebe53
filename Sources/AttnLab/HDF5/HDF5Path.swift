/// Joins names onto group paths the way HDF5 resolves them, yielding absolute paths that
/// double as stable object names in errors.
enum HDF5Path {
    static func resolve(_ name: String, in base: String) -> String {
        let joined = name.hasPrefix("/") ? name : base + "/" + name
        let parts = joined.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// Every ancestor and the path itself, shortest first: "/a/b" gives ["/a", "/a/b"].
    static func prefixes(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            result.append(current)
        }
        return result
    }
}
