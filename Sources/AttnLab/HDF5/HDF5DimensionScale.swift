import CHDF5
import CHDF5Shim

/// HDF5 dimension scales (the high-level `H5DS` API of `libhdf5_hl`): a 1-D dataset declared a
/// scale names a dimension, and datasets attached to it are indexed by it. netCDF-4 readers
/// (h5netcdf, xarray, netCDF-C) take a scale as the dimension and coordinate variable of that
/// name, so `/train/loss` attached to `/train/step` reads as `loss(step)`.
///
/// Scales and attachments are attributes (`CLASS`, `NAME`, `REFERENCE_LIST`, `DIMENSION_LIST`),
/// so like every attribute they must be created before SWMR writing starts. Names are relative
/// to `group` unless they start with "/".
public enum HDF5DimensionScale {
    /// Declares `group/name` a dimension scale called `dimensionName` (`H5DSset_scale`).
    ///
    /// - Throws: `HDF5Error` naming the dataset when it is missing, not a dataset, the file is
    ///   read-only or SWMR writing has started, or HDF5 refuses.
    public static func make(_ group: HDF5Group, _ name: String, dimensionName: String) throws {
        try HDF5Library.locked {
            let site = group.site(group.resolve(name))
            let operation = "make dimension scale '\(dimensionName)'"
            try group.file.requireStructureChangeAllowed(site, operation)
            try group.file.withObject(site, operation, expecting: H5I_DATASET) { dataset in
                try site.check(status: H5DSset_scale(dataset, dimensionName), operation)
            }
        }
    }

    /// Attaches the scale `group/scale` to dimension `dimension` (0-based) of `group/dataset`
    /// (`H5DSattach_scale`).
    ///
    /// - Throws: `HDF5Error` when either dataset is missing, `scale` is not a scale, the
    ///   dimension does not exist or the lengths' kinds do not fit, or the file cannot change.
    public static func attach(_ group: HDF5Group, scale: String, to dataset: String, dimension: Int = 0) throws {
        try HDF5Library.locked {
            let target = group.site(group.resolve(dataset))
            let operation = "attach dimension scale '\(scale)'"
            try group.file.requireStructureChangeAllowed(target, operation)
            guard dimension >= 0 else { throw target.error(operation, "dimension \(dimension) is negative") }
            try group.file.withObject(group.site(group.resolve(scale)), operation, expecting: H5I_DATASET) { scaleID in
                try group.file.withObject(target, operation, expecting: H5I_DATASET) { datasetID in
                    try target.check(status: H5DSattach_scale(datasetID, scaleID, UInt32(dimension)), operation)
                }
            }
        }
    }

    /// The dimension name of `group/name` when it is a dimension scale, else nil
    /// (`H5DSis_scale`, `H5DSget_scale_name`).
    ///
    /// - Throws: `HDF5Error` when the dataset is missing or HDF5 fails to answer.
    public static func name(_ group: HDF5Group, _ name: String) throws -> String? {
        try HDF5Library.locked {
            let site = group.site(group.resolve(name))
            let operation = "read dimension scale name"
            return try group.file.withObject(site, operation, expecting: H5I_DATASET) { dataset -> String? in
                let isScale = H5DSis_scale(dataset)
                guard isScale >= 0 else { throw site.libraryError(operation) }
                guard isScale > 0 else { return nil }
                let length = H5DSget_scale_name(dataset, nil, 0)
                guard length >= 0 else { throw site.libraryError(operation) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5DSget_scale_name(dataset, &buffer, buffer.count) >= 0 else { throw site.libraryError(operation) }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Whether the scale `group/scale` is attached to dimension `dimension` of `group/dataset`
    /// (`H5DSis_attached`).
    ///
    /// - Throws: `HDF5Error` when either dataset is missing or HDF5 fails to answer.
    public static func isAttached(_ group: HDF5Group, scale: String, to dataset: String, dimension: Int = 0) throws -> Bool {
        try HDF5Library.locked {
            let target = group.site(group.resolve(dataset))
            let operation = "check dimension scale '\(scale)'"
            return try group.file.withObject(group.site(group.resolve(scale)), operation, expecting: H5I_DATASET) { scaleID in
                try group.file.withObject(target, operation, expecting: H5I_DATASET) { datasetID in
                    let attached = H5DSis_attached(datasetID, scaleID, UInt32(dimension))
                    guard attached >= 0 else { throw target.libraryError(operation) }
                    return attached > 0
                }
            }
        }
    }
}
