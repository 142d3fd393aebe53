import CHDF5
import CHDF5Shim

/// Dataspace helpers: HDF5 uses a scalar dataspace for rank 0 and hsize_t dimensions.
enum HDF5Space {
    static func create(shape: [Int], maxShape: [hsize_t]? = nil, _ site: HDF5Site, _ operation: String) throws -> hid_t {
        if shape.isEmpty {
            return try site.check(H5Screate(H5S_SCALAR), operation)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw site.error(operation, "shape \(shape) has a negative dimension")
        }
        let dims = shape.map { hsize_t($0) }
        let id = maxShape.map { max in H5Screate_simple(Int32(dims.count), dims, max) }
            ?? H5Screate_simple(Int32(dims.count), dims, nil)
        return try site.check(id, operation)
    }

    static func shape(of space: hid_t, _ site: HDF5Site, _ operation: String) throws -> [Int] {
        let rank = try Int(site.check(hid_t(H5Sget_simple_extent_ndims(space)), operation))
        var dims = [hsize_t](repeating: 0, count: rank)
        if rank > 0 {
            try site.check(status: H5Sget_simple_extent_dims(space, &dims, nil), operation)
        }
        return dims.map { Int($0) }
    }

    static func maxShape(of space: hid_t, _ site: HDF5Site, _ operation: String) throws -> [hsize_t] {
        let rank = try Int(site.check(hid_t(H5Sget_simple_extent_ndims(space)), operation))
        var maxDims = [hsize_t](repeating: 0, count: rank)
        if rank > 0 {
            try site.check(status: H5Sget_simple_extent_dims(space, nil, &maxDims), operation)
        }
        return maxDims
    }
}
