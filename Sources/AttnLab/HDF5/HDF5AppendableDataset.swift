import CHDF5
import CHDF5Shim

/// A chunked dataset with unlimited length along its first dimension, used for curves: 1-D
/// (loss per step, etc.) or 2-D with rows of fixed width (one value per layer and step).
/// Appending extends it, which SWMR writers may do; readers see it up to the last flush.
/// Lengths count rows; values are row-major.
public struct HDF5AppendableDataset<Element: HDF5Element>: HDF5Object {
    public let file: HDF5File
    public let path: String

    public func count() throws -> Int {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "read length", expecting: H5I_DATASET) { dataset in
                try currentShape(dataset, site, "read length")[0]
            }
        }
    }

    public func append(_ values: [Element]) throws {
        try HDF5Library.locked {
            let site = site()
            try file.requireDataWriteAllowed(site, "append")
            guard !values.isEmpty else { return }
            try file.withObject(site, "append", expecting: H5I_DATASET) { dataset in
                let shape = try currentShape(dataset, site, "append")
                let width = shape.dropFirst().reduce(1, *)
                guard width > 0, values.count % width == 0 else {
                    throw site.error("append", "\(values.count) values do not fill whole rows of \(width)")
                }
                let start = shape[0], rows = values.count / width
                var newShape = ([start + rows] + shape.dropFirst()).map { hsize_t($0) }
                try site.check(status: H5Dset_extent(dataset, &newShape), "append")
                try site.using(H5Dget_space(dataset), close: H5Sclose, "append") { fileSpace in
                    var offset = [hsize_t](repeating: 0, count: shape.count)
                    offset[0] = hsize_t(start)
                    var count = ([rows] + shape.dropFirst()).map { hsize_t($0) }
                    try site.check(status: H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &count, nil), "append")
                    try site.using(try HDF5Space.create(shape: [rows] + shape.dropFirst(), site, "append"), close: H5Sclose, "append") { memorySpace in
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

    /// Shortens the dataset to its first `length` rows (a resumed run drops the steps logged
    /// after the checkpoint it restarts from).
    public func truncate(to length: Int) throws {
        try HDF5Library.locked {
            let site = site()
            try file.requireDataWriteAllowed(site, "truncate")
            try file.withObject(site, "truncate", expecting: H5I_DATASET) { dataset in
                let shape = try currentShape(dataset, site, "truncate")
                guard length < shape[0] else { return }
                var newShape = ([max(length, 0)] + shape.dropFirst()).map { hsize_t($0) }
                try site.check(status: H5Dset_extent(dataset, &newShape), "truncate")
            }
        }
    }

    /// Every value, row-major.
    public func readAll() throws -> [Element] {
        try HDF5Dataset(file: file, path: path).read(as: Element.self).values
    }

    private func currentShape(_ dataset: hid_t, _ site: HDF5Site, _ operation: String) throws -> [Int] {
        let shape = try site.using(H5Dget_space(dataset), close: H5Sclose, operation) { space in
            try HDF5Space.shape(of: space, site, operation)
        }
        guard shape.count == 1 || shape.count == 2 else { throw site.error(operation, "the dataset has shape \(shape); expected 1-D or 2-D") }
        return shape
    }
}

extension HDF5Group {
    /// Creates an empty extendable dataset: 1-D, or 2-D with rows of `rowWidth` values when it
    /// is given. About `chunkLength` elements (whole rows, at least one) are stored per chunk;
    /// 1024 keeps per-append overhead low for curves logged every step.
    @discardableResult
    public func createAppendableDataset<Element: HDF5Element>(
        _ name: String, of _: Element.Type, rowWidth: Int? = nil, chunkLength: Int = 1024
    ) throws -> HDF5AppendableDataset<Element> {
        let target = resolve(name)
        try HDF5Library.locked {
            let site = site(target)
            guard chunkLength > 0 else {
                throw site.error("create appendable dataset", "chunk length must be positive")
            }
            if let rowWidth, rowWidth <= 0 {
                throw site.error("create appendable dataset", "row width \(rowWidth) must be positive")
            }
            let rest = rowWidth.map { [$0] } ?? []
            let maxShape = [attnlab_h5s_unlimited()] + rest.map { hsize_t($0) }
            try site.using(try HDF5Space.create(shape: [0] + rest, maxShape: maxShape, site, "create appendable dataset"),
                           close: H5Sclose, "create appendable dataset") { space in
                try site.using(H5Pcreate(attnlab_h5p_dataset_create()), close: H5Pclose, "create appendable dataset") { dcpl in
                    var chunk = ([max(1, chunkLength / (rowWidth ?? 1))] + rest).map { hsize_t($0) }
                    try site.check(status: H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), "create appendable dataset")
                    try createLink(site, "create appendable dataset") { lcpl in
                        H5Dcreate2(file.id, target, Element.hdf5ElementType.nativeType, space, lcpl, dcpl,
                                   attnlab_h5p_default())
                    }
                }
            }
        }
        return HDF5AppendableDataset(file: file, path: target)
    }

    /// Opens an existing extendable dataset, checking it is 1-D or 2-D and unlimited along its
    /// first dimension only.
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
                guard (1...2).contains(maxShape.count), maxShape[0] == attnlab_h5s_unlimited(),
                      !maxShape.dropFirst().contains(attnlab_h5s_unlimited()) else {
                    throw site.error("open appendable dataset", "the dataset is not 1-D or 2-D with unlimited length along its first dimension only")
                }
            }
        }
        return HDF5AppendableDataset(file: file, path: target)
    }
}
