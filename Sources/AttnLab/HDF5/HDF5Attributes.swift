import CHDF5
import CHDF5Shim

/// The attribute kinds run metadata needs. Strings are stored variable-length UTF-8 so h5py
/// returns `str`; integers as int64; arrays as 1-D and scalars as scalar dataspaces, which
/// keeps `[5]` and `5` distinct on reading.
public enum HDF5AttributeValue: Equatable, Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case ints([Int])
    case doubles([Double])
}

extension HDF5Object {
    /// Writes an attribute, replacing any existing one of that name. Attributes cannot be
    /// created once SWMR writing has started, so set them all during layout.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        try HDF5Library.locked {
            let site = site()
            let operation = "write attribute '\(name)'"
            try file.requireStructureChangeAllowed(site, operation)
            try file.withObject(site, operation) { object in
                if try attributeExists(object, name, site, operation) {
                    try site.check(status: H5Adelete(object, name), operation)
                }
                try createAttribute(object, name, value, site, operation)
            }
        }
    }

    public func attribute(_ name: String) throws -> HDF5AttributeValue {
        try HDF5Library.locked {
            let site = site()
            let operation = "read attribute '\(name)'"
            return try file.withObject(site, operation) { object in
                guard try attributeExists(object, name, site, operation) else {
                    throw site.error(operation, "no such attribute")
                }
                return try site.using(H5Aopen(object, name, attnlab_h5p_default()), close: H5Aclose, operation) { attribute in
                    try readAttribute(attribute, site, operation)
                }
            }
        }
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "check attribute '\(name)'") { object in
                try attributeExists(object, name, site, "check attribute '\(name)'")
            }
        }
    }

    /// Attribute names in HDF5's name order.
    public func attributeNames() throws -> [String] {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "list attributes") { object in
                let collector = NameCollector()
                let status = H5Aiterate2(
                    object, H5_INDEX_NAME, H5_ITER_INC, nil,
                    { _, name, _, context in
                        let collector = Unmanaged<NameCollector>.fromOpaque(context!).takeUnretainedValue()
                        collector.names.append(String(cString: name!))
                        return 0
                    },
                    Unmanaged.passUnretained(collector).toOpaque())
                try site.check(status: status, "list attributes")
                return collector.names
            }
        }
    }

    public func stringAttribute(_ name: String) throws -> String {
        guard case .string(let value) = try attribute(name) else { throw kindMismatch(name, "a string") }
        return value
    }

    public func intAttribute(_ name: String) throws -> Int {
        guard case .int(let value) = try attribute(name) else { throw kindMismatch(name, "an integer") }
        return value
    }

    public func doubleAttribute(_ name: String) throws -> Double {
        guard case .double(let value) = try attribute(name) else { throw kindMismatch(name, "a floating-point number") }
        return value
    }

    public func intsAttribute(_ name: String) throws -> [Int] {
        guard case .ints(let value) = try attribute(name) else { throw kindMismatch(name, "an integer array") }
        return value
    }

    public func doublesAttribute(_ name: String) throws -> [Double] {
        guard case .doubles(let value) = try attribute(name) else { throw kindMismatch(name, "a floating-point array") }
        return value
    }

    private func kindMismatch(_ name: String, _ expected: String) -> HDF5Error {
        site().error("read attribute '\(name)'", "the attribute is not \(expected)")
    }
}

private final class NameCollector {
    var names: [String] = []
}

private func attributeExists(_ object: hid_t, _ name: String, _ site: HDF5Site, _ operation: String) throws -> Bool {
    let found = H5Aexists(object, name)
    guard found >= 0 else { throw site.libraryError(operation) }
    return found > 0
}

private func createAttribute(
    _ object: hid_t, _ name: String, _ value: HDF5AttributeValue, _ site: HDF5Site, _ operation: String
) throws {
    func write(type: hid_t, shape: [Int], _ buffer: UnsafeRawPointer?) throws {
        try site.using(try HDF5Space.create(shape: shape, site, operation), close: H5Sclose, operation) { space in
            try site.using(H5Acreate2(object, name, type, space, attnlab_h5p_default(), attnlab_h5p_default()),
                           close: H5Aclose, operation) { attribute in
                // An empty array has nothing to write, and HDF5 rejects a null buffer.
                if let buffer { try site.check(status: H5Awrite(attribute, type, buffer), operation) }
            }
        }
    }
    switch value {
    case .string(let string):
        try site.using(attnlab_h5t_vlen_utf8_string(), close: H5Tclose, operation) { type in
            try string.withCString { characters in
                var pointer: UnsafePointer<CChar>? = characters
                try withUnsafePointer(to: &pointer) { try write(type: type, shape: [], $0) }
            }
        }
    case .int(let int):
        var stored = Int64(int)
        try write(type: attnlab_h5t_native_int64(), shape: [], &stored)
    case .double(let double):
        var stored = double
        try write(type: attnlab_h5t_native_double(), shape: [], &stored)
    case .ints(let ints):
        try ints.map { Int64($0) }.withUnsafeBytes {
            try write(type: attnlab_h5t_native_int64(), shape: [ints.count], ints.isEmpty ? nil : $0.baseAddress)
        }
    case .doubles(let doubles):
        try doubles.withUnsafeBytes {
            try write(type: attnlab_h5t_native_double(), shape: [doubles.count], doubles.isEmpty ? nil : $0.baseAddress)
        }
    }
}

private func readAttribute(_ attribute: hid_t, _ site: HDF5Site, _ operation: String) throws -> HDF5AttributeValue {
    try site.using(H5Aget_type(attribute), close: H5Tclose, operation) { type in
        let shape = try site.using(H5Aget_space(attribute), close: H5Sclose, operation) { space in
            try HDF5Space.shape(of: space, site, operation)
        }
        // A damaged file can claim any shape; no attribute of a run file holds more than a few
        // thousand values, and HDF5 stores attributes in the object header (64 KiB at most).
        guard shape.count <= 1, shape.allSatisfy({ $0 <= 1 << 16 }) else {
            throw site.error(operation, "the attribute has shape \(shape); expected a scalar or a short 1-D array")
        }
        let count = shape.reduce(1, *)
        switch H5Tget_class(type) {
        case H5T_STRING:
            guard shape.isEmpty else { throw site.error(operation, "string arrays are not supported") }
            return .string(try readStringAttribute(attribute, type, site, operation))
        case H5T_INTEGER:
            let values: [Int64] = try readElements(count: count, site, operation) {
                H5Aread(attribute, attnlab_h5t_native_int64(), $0)
            }
            return shape.isEmpty ? .int(Int(values[0])) : .ints(values.map { Int($0) })
        case H5T_FLOAT:
            let values: [Double] = try readElements(count: count, site, operation) {
                H5Aread(attribute, attnlab_h5t_native_double(), $0)
            }
            return shape.isEmpty ? .double(values[0]) : .doubles(values)
        default:
            throw site.error(operation, "the attribute's type is not a string, integer or float")
        }
    }
}

/// Handles both variable-length strings (ours, h5py's) and fixed-length ones (numpy bytes).
private func readStringAttribute(_ attribute: hid_t, _ storedType: hid_t, _ site: HDF5Site, _ operation: String) throws -> String {
    if H5Tis_variable_str(storedType) > 0 {
        return try site.using(attnlab_h5t_vlen_utf8_string(), close: H5Tclose, operation) { type in
            var pointer: UnsafeMutablePointer<CChar>? = nil
            try site.check(status: H5Aread(attribute, type, &pointer), operation)
            defer { H5free_memory(pointer) }
            return pointer.map { String(cString: $0) } ?? ""
        }
    }
    let size = H5Tget_size(storedType)
    guard size > 0, size <= 1 << 16 else {
        throw site.error(operation, "the string attribute claims \(size) bytes; expected 1 to 65536")
    }
    return try site.using(attnlab_h5t_fixed_utf8_string(size), close: H5Tclose, operation) { type in
        var bytes = [UInt8](repeating: 0, count: size)
        try site.check(status: bytes.withUnsafeMutableBytes { H5Aread(attribute, type, $0.baseAddress) }, operation)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
