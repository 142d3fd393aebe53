import CHDF5
import CHDF5Shim

/// A scalar fixed-length UTF-8 string dataset (NUL-padded), e.g. `/status`. Fixed length keeps
/// overwrites in place, which SWMR permits; h5py reads it as bytes (`.asstr()` gives str).
public struct HDF5StringDataset: HDF5Object {
    public let file: HDF5File
    public let path: String
    /// Maximum UTF-8 byte length of a value.
    public let byteCapacity: Int

    /// Replaces the value; fails rather than truncating when it does not fit.
    public func write(_ value: String) throws {
        try HDF5Library.locked {
            let site = site()
            try file.requireDataWriteAllowed(site, "write string")
            let bytes = Array(value.utf8)
            guard bytes.count <= byteCapacity else {
                throw site.error("write string",
                                 "\(bytes.count) UTF-8 bytes exceed the capacity of \(byteCapacity)")
            }
            try file.withObject(site, "write string", expecting: H5I_DATASET) { dataset in
                try site.using(attnlab_h5t_fixed_utf8_string(byteCapacity), close: H5Tclose, "write string") { type in
                    let padded = bytes + [UInt8](repeating: 0, count: byteCapacity - bytes.count)
                    let status = padded.withUnsafeBytes {
                        H5Dwrite(dataset, type, attnlab_h5s_all(), attnlab_h5s_all(), attnlab_h5p_default(), $0.baseAddress)
                    }
                    try site.check(status: status, "write string")
                }
            }
        }
    }

    public func read() throws -> String {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "read string", expecting: H5I_DATASET) { dataset in
                try site.using(attnlab_h5t_fixed_utf8_string(byteCapacity), close: H5Tclose, "read string") { type in
                    var bytes = [UInt8](repeating: 0, count: byteCapacity)
                    let status = bytes.withUnsafeMutableBytes {
                        H5Dread(dataset, type, attnlab_h5s_all(), attnlab_h5s_all(), attnlab_h5p_default(), $0.baseAddress)
                    }
                    try site.check(status: status, "read string")
                    return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
            }
        }
    }
}

extension HDF5Group {
    @discardableResult
    public func createStringDataset(_ name: String, byteCapacity: Int, value: String = "") throws -> HDF5StringDataset {
        let target = resolve(name)
        try HDF5Library.locked {
            let site = site(target)
            guard byteCapacity > 0 else {
                throw site.error("create string dataset", "byte capacity must be positive")
            }
            let operation = "create string dataset"
            try site.using(attnlab_h5t_fixed_utf8_string(byteCapacity), close: H5Tclose, operation) { type in
                try site.using(try HDF5Space.create(shape: [], site, operation), close: H5Sclose, operation) { space in
                    try site.using(attnlab_h5p_early_allocation_dcpl(), close: H5Pclose, operation) { dcpl in
                        try createLink(site, operation) { lcpl in
                            H5Dcreate2(file.id, target, type, space, lcpl, dcpl, attnlab_h5p_default())
                        }
                    }
                }
            }
        }
        let dataset = HDF5StringDataset(file: file, path: target, byteCapacity: byteCapacity)
        try dataset.write(value)
        return dataset
    }

    public func stringDataset(_ name: String) throws -> HDF5StringDataset {
        let target = resolve(name)
        let capacity = try HDF5Library.locked {
            let site = site(target)
            return try file.withObject(site, "open string dataset", expecting: H5I_DATASET) { dataset in
                try site.using(H5Dget_type(dataset), close: H5Tclose, "open string dataset") { type in
                    let size = H5Tget_size(type)
                    guard H5Tget_class(type) == H5T_STRING, H5Tis_variable_str(type) == 0, size > 0, size <= 1 << 20 else {
                        throw site.error("open string dataset", "the dataset does not hold a fixed-length string")
                    }
                    return size
                }
            }
        }
        return HDF5StringDataset(file: file, path: target, byteCapacity: capacity)
    }
}
