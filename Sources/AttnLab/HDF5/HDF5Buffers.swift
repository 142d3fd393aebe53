import CHDF5

/// Reads `count` elements through an HDF5 read call straight into a Swift array.
func readElements<Element: HDF5Element>(
    count: Int, _ site: HDF5Site, _ operation: String,
    _ read: (UnsafeMutableRawPointer) -> herr_t
) throws -> [Element] {
    guard count > 0 else { return [] }
    var status: herr_t = 0
    let values = [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        status = read(UnsafeMutableRawPointer(buffer.baseAddress!))
        // Plain numeric types need no initialisation; a failed read throws below, so
        // unread memory never escapes.
        initialized = count
    }
    try site.check(status: status, operation)
    return values
}

/// HDF5's two-call name protocol: ask for the length, then fill a buffer of that size.
func readName(
    _ site: HDF5Site, _ operation: String, _ call: (UnsafeMutablePointer<CChar>?, Int) -> Int
) throws -> String {
    let length = call(nil, 0)
    guard length >= 0 else { throw site.libraryError(operation) }
    var buffer = [CChar](repeating: 0, count: length + 1)
    guard call(&buffer, buffer.count) >= 0 else { throw site.libraryError(operation) }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
