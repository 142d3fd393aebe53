import CHDF5
import CHDF5Shim

/// A 1-D chunked dataset with unlimited length, used for curves (loss per step, etc.).
/// Appending extends it, which SWMR writers may do; readers see it up to the last flush.
public struct HDF5AppendableDataset<Element: HDF5Element>: HDF5Object {
    public let file: HDF5File
    public let path: String

    public func count() throws -> Int {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "read length", expecting: H5I_DATASET) { dataset in
                try currentLength(dataset, site, "read length")
            }
        }
    }

    public func append(_ values: [Element]) throws {
        try HDF5Library.locked {
            let site = site()
            try file.requireDataWriteAllowed(site, "append")
            guard !values.isEmpty else { return }
            try file.withObject(site, "append", expecting: H5I_DATASET) { dataset in
                let start = try currentLength(dataset, site, "append")
                var newLength = hsize_t(start + values.count)
                try site.check(status: H5Dset_extent(dataset, &newLength), "append")
                try site.using(H5Dget_space(dataset), close: H5Sclose, "append") { fileSpace in
                    var offset = hsize_t(start)
                    var count = hsize_t(values.count)
                    try site.check(status: H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &count, nil), "append")
                    try site.using(try HDF5Space.create(shape: [values.count], site, "append"), close: H5Sclose, "append") { memorySpace in
                        let status = values.withUnsafeBytes {
                            H5Dwrite(dataset, Element.hdf5ElementType.nativeType, memorySpace, fileSpace,
                                     attnlab_h5p_default(), $0.baseAddress)
                        }
                        try site.check(status: status, "append")
                    }
                }
            }
        }
    }

    /// Shortens the dataset to its first `length` values (a resumed run drops the steps logged
    /// after the checkpoint it restarts from).
    public func truncate(to length: Int) throws {
        try HDF5Library.locked {
            let site = site()
            try file.requireDataWriteAllowed(site, "truncate")
            try file.withObject(site, "truncate", expecting: H5I_DATASET) { dataset in
                let current = try currentLength(dataset, site, "truncate")
                guard length < current else { return }
                var newLength = hsize_t(max(length, 0))
                try site.check(status: H5Dset_extent(dataset, &newLength), "truncate")
            }
        }
    }

    public func readAll() throws -> [Element] {
        try HDF5Dataset(file: file, path: path).read(as: Element.self).values
    }

    private func currentLength(_ dataset: hid_t, _ site: HDF5Site, _ operation: String) throws -> Int {
        let shape = try site.using(H5Dget_space(dataset), close: H5Sclose, operation) { space in
            try HDF5Space.shape(of: space, site, operation)
        }
        guard shape.count == 1 else { throw site.error(operation, "the dataset has shape \(shape); expected 1-D") }
        return shape[0]
    }
}

extension HDF5Group {
    /// Creates an empty extendable dataset. `chunkLength` elements are stored per chunk;
    /// 1024 keeps per-append overhead low for curves logged every step.
    @discardableResult
    public func createAppendableDataset<Element: HDF5Element>(
        _ name: String, of _: Element.Type, chunkLength: Int = 1024
    ) throws -> HDF5AppendableDataset<Element> {
        let target = resolve(name)
        try HDF5Library.locked {
            let site = site(target)
            guard chunkLength > 0 else {
                throw site.error("create appendable dataset", "chunk length must be positive")
            }
            try site.using(try HDF5Space.create(shape: [0], maxShape: [attnlab_h5s_unlimited()], site, "create appendable dataset"),
                           close: H5Sclose, "create appendable dataset") { space in
                try site.using(H5Pcreate(attnlab_h5p_dataset_create()), close: H5Pclose, "create appendable dataset") { dcpl in
                    var chunk = hsize_t(chunkLength)
                    try site.check(status: H5Pset_chunk(dcpl, 1, &chunk), "create appendable dataset")
                    try createLink(site, "create appendable dataset") { lcpl in
                        H5Dcreate2(file.id, target, Element.hdf5ElementType.nativeType, space, lcpl, dcpl,
                                   attnlab_h5p_default())
                    }
                }
            }
        }
        return HDF5AppendableDataset(file: file, path: target)
    }

    /// Opens an existing extendable dataset, checking it is 1-D and unlimited.
    public func appendableDataset<Element: HDF5Element>(
        _ name: String, of _: Element.Type
    ) throws -> HDF5AppendableDataset<Element> {
        let target = resolve(name)
        try HDF5Library.locked {
            let site = site(target)
            try file.withObject(site, "open appendable dataset", expecting: H5I_DATASET) { dataset in
                let maxShape = try site.using(H5Dget_space(dataset), close: H5Sclose, "open appendable dataset") { space in
                    try HDF5Space.maxShape(of: space, site, "open appendable dataset")
                }
                guard maxShape == [attnlab_h5s_unlimited()] else {
                    throw site.error("open appendable dataset", "the dataset is not 1-D with unlimited length")
                }
            }
        }
        return HDF5AppendableDataset(file: file, path: target)
    }
}
