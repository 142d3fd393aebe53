import CHDF5
import CHDF5Shim

/// A group; names passed to its methods are relative to it unless they start with "/",
/// and may contain several components ("train/loss"). Missing parent groups are created.
public struct HDF5Group: HDF5Object {
    public let file: HDF5File
    public let path: String

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = path
    }

    func resolve(_ name: String) -> String { HDF5Path.resolve(name, in: path) }

    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let target = resolve(name)
        try HDF5Library.locked {
            let site = site(target)
            try createLink(site, "create group") { lcpl in
                H5Gcreate2(file.id, target, lcpl, attnlab_h5p_default(), attnlab_h5p_default())
            }
        }
        return HDF5Group(file: file, path: target)
    }

    public func group(_ name: String) throws -> HDF5Group {
        let target = resolve(name)
        try HDF5Library.locked {
            try file.withObject(site(target), "open group", expecting: H5I_GROUP) { _ in }
        }
        return HDF5Group(file: file, path: target)
    }

    public func contains(_ name: String) throws -> Bool {
        let target = resolve(name)
        return try HDF5Library.locked {
            try file.requireOpen(site(target), "check existence")
            return file.objectExists(target)
        }
    }

    /// Names of the links directly inside this group, in HDF5's name order.
    public func childNames() throws -> [String] {
        try HDF5Library.locked {
            let site = site()
            return try file.withObject(site, "list children", expecting: H5I_GROUP) { group in
                var info = H5G_info_t()
                try site.check(status: H5Gget_info(group, &info), "list children")
                return try (0..<info.nlinks).map { index in
                    try readName(site, "list children") { buffer, size in
                        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size,
                                           attnlab_h5p_default())
                    }
                }
            }
        }
    }

    /// Creates an object through `make`, refusing to replace an existing one so a layout bug
    /// surfaces as an error instead of silently sharing or dropping data.
    func createLink(_ site: HDF5Site, _ operation: String, _ make: (hid_t) -> hid_t) throws {
        try file.requireStructureChangeAllowed(site, operation)
        guard site.objectPath != "/" else { throw site.error(operation, "the root group always exists") }
        if file.objectExists(site.objectPath) {
            throw site.error(operation, "an object already exists at this path")
        }
        try site.using(attnlab_h5p_intermediate_groups_lcpl(), close: H5Pclose, operation) { lcpl in
            try site.using(make(lcpl), close: H5Oclose, operation) { _ in }
        }
    }
}
