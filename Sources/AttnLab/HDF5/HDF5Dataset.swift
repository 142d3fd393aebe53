import CHDF5
import CHDF5Shim

/// A fixed-shape numeric dataset, e.g. a checkpointed parameter. Its storage is allocated when
/// it is created, so overwriting it later (also under SWMR) never changes the file's structure.
public struct HDF5Dataset: HDF5Object {
    public let file: HDF5File
    public let path: String

    public func shape() throws -> [Int] {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "read shape", expecting: H5I_DATASET) { dataset in
                try site.using(H5Dget_space(dataset), close: H5Sclose, "read shape") { space in
                    try HDF5Space.shape(of: space, site, "read shape")
                }
            }
        }
    }

    /// The stored element type, or nil when it is not one of `HDF5ElementType` (e.g. strings).
    public func elementType() throws -> HDF5ElementType? {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "read element type", expecting: H5I_DATASET) { dataset in
                try site.using(H5Dget_type(dataset), close: H5Tclose, "read element type") { type in
                    HDF5ElementType.matching(type)
                }
            }
        }
    }

    /// Reads the whole dataset, converting to `Element` (HDF5 converts numeric types).
    public func read<Element: HDF5Element>(as _: Element.Type = Element.self) throws -> HDF5Array<Element> {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "read dataset", expecting: H5I_DATASET) { dataset in
                let shape = try site.using(H5Dget_space(dataset), close: H5Sclose, "read dataset") { space in
                    try HDF5Space.shape(of: space, site, "read dataset")
                }
                try file.requirePlausibleSize(shape, elementSize: MemoryLayout<Element>.stride, site, "read dataset")
                let values: [Element] = try readElements(count: shape.reduce(1, *), site, "read dataset") {
                    H5Dread(dataset, Element.hdf5ElementType.nativeType, attnlab_h5s_all(), attnlab_h5s_all(),
                            attnlab_h5p_default(), $0)
                }
                return HDF5Array(shape: shape, values: values)
            }
        }
    }

    /// Replaces the dataset's contents; `values` must fill its shape exactly (row-major).
    public func overwrite<Element: HDF5Element>(_ values: [Element]) throws {
        try HDF5Library.locked {
            let site = site()
            try file.requireDataWriteAllowed(site, "overwrite dataset")
            try file.withObject(site, "overwrite dataset", expecting: H5I_DATASET) { dataset in
                let shape = try site.using(H5Dget_space(dataset), close: H5Sclose, "overwrite dataset") { space in
                    try HDF5Space.shape(of: space, site, "overwrite dataset")
                }
                guard shape.reduce(1, *) == values.count else {
                    throw site.error("overwrite dataset",
                                     "got \(values.count) values for a dataset of shape \(shape)")
                }
                guard !values.isEmpty else { return }
                let status = values.withUnsafeBytes {
                    H5Dwrite(dataset, Element.hdf5ElementType.nativeType, attnlab_h5s_all(), attnlab_h5s_all(),
                             attnlab_h5p_default(), $0.baseAddress)
                }
                try site.check(status: status, "overwrite dataset")
            }
        }
    }
}

extension HDF5Group {
    /// Creates a zero-filled dataset to be overwritten later, such as a checkpoint slot.
    ///
    /// With `checksummed` (and no zero-length axis) the dataset is one chunk with HDF5's
    /// Fletcher-32 filter: a read of data changed on disk since it was written fails with an
    /// `HDF5Error` ("data error detected by Fletcher32 checksum") instead of returning the
    /// changed values. Readers (h5py too) need nothing special.
    @discardableResult
    public func createDataset<Element: HDF5Element>(
        _ name: String, of _: Element.Type, shape: [Int], checksummed: Bool = false
    ) throws -> HDF5Dataset {
        let target = resolve(name)
        try HDF5Library.locked {
            let site = site(target)
            try site.using(try HDF5Space.create(shape: shape, site, "create dataset"), close: H5Sclose, "create dataset") { space in
                try site.using(attnlab_h5p_early_allocation_dcpl(), close: H5Pclose, "create dataset") { dcpl in
                    if checksummed && !shape.isEmpty && !shape.contains(0) {
                        var chunk = shape.map { hsize_t($0) }
                        try site.check(status: H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), "create dataset")
                        try site.check(status: H5Pset_fletcher32(dcpl), "create dataset")
                    }
                    try createLink(site, "create dataset") { lcpl in
                        H5Dcreate2(file.id, target, Element.hdf5ElementType.nativeType, space, lcpl, dcpl,
                                   attnlab_h5p_default())
                    }
                }
            }
        }
        return HDF5Dataset(file: file, path: target)
    }

    /// Creates a dataset shaped like `array` and writes it.
    @discardableResult
    public func writeDataset<Element: HDF5Element>(_ name: String, _ array: HDF5Array<Element>) throws -> HDF5Dataset {
        let dataset = try createDataset(name, of: Element.self, shape: array.shape)
        try dataset.overwrite(array.values)
        return dataset
    }

    public func dataset(_ name: String) throws -> HDF5Dataset {
        let target = resolve(name)
        try HDF5Library.locked {
            try file.withObject(site(target), "open dataset", expecting: H5I_DATASET) { _ in }
        }
        return HDF5Dataset(file: file, path: target)
    }
}
