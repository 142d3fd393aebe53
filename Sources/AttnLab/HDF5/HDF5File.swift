import CHDF5
import CHDF5Shim
import Foundation

/// An open HDF5 file laid out for single-writer/multiple-reader (SWMR) use.
///
/// SWMR forbids creating objects or attributes once writing has started, so a writer creates
/// every group, attribute and dataset first, calls `startSWMRWrite()`, and from then on only
/// appends to extendable datasets and overwrites existing ones. Readers in other processes
/// open with `.swmrRead` and see everything up to the writer's last `flush()`.
public final class HDF5File {
    public enum Mode: Sendable {
        /// Also opens files a SWMR writer still has open or left behind when it was killed:
        /// those are marked "open for write", which HDF5 only lets SWMR readers past, so the
        /// open retries as `.swmrRead` and the handle reports that mode.
        case readOnly
        case readWrite
        /// Reading while another process writes in SWMR mode.
        case swmrRead
    }

    public let path: String
    public let mode: Mode
    public private(set) var isSWMRWriting = false
    private(set) var id: hid_t

    private init(path: String, mode: Mode, id: hid_t) {
        self.path = path
        self.mode = mode
        self.id = id
    }

    deinit {
        if id >= 0 {
            let id = self.id
            HDF5Library.locked { _ = H5Fclose(id) }
        }
    }

    /// Creates a new file in the newest format (required for SWMR). Refuses to replace an
    /// existing file unless `overwrite` is true, so a run never clobbers another by accident.
    public static func create(path: String, overwrite: Bool = false) throws -> HDF5File {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: path, objectPath: "/")
            if !overwrite && FileManager.default.fileExists(atPath: path) {
                throw site.error("create file", "the file already exists and overwrite is false")
            }
            let fapl = try site.check(attnlab_h5p_latest_format_fapl(), "create file")
            defer { H5Pclose(fapl) }
            // EXCL as well as the check above: another process may create the file in between.
            let flags = overwrite ? attnlab_h5f_acc_trunc() : attnlab_h5f_acc_excl()
            let id = try site.check(H5Fcreate(path, flags, attnlab_h5p_default(), fapl), "create file")
            return HDF5File(path: path, mode: .readWrite, id: id)
        }
    }

    public static func open(path: String, mode: Mode = .readOnly) throws -> HDF5File {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: path, objectPath: "/")
            guard FileManager.default.fileExists(atPath: path) else {
                throw site.error("open file", "no such file")
            }
            let fapl = try site.check(attnlab_h5p_latest_format_fapl(), "open file")
            defer { H5Pclose(fapl) }
            func open(_ mode: Mode) -> hid_t {
                let flags: UInt32 = switch mode {
                case .readOnly: attnlab_h5f_acc_rdonly()
                case .readWrite: attnlab_h5f_acc_rdwr()
                case .swmrRead: attnlab_h5f_acc_rdonly() | attnlab_h5f_acc_swmr_read()
                }
                return H5Fopen(path, flags, fapl)
            }
            let id = open(mode)
            if id >= 0 { return HDF5File(path: path, mode: mode, id: id) }
            let failure = site.libraryError("open file")
            if mode == .readOnly {
                let swmrID = open(.swmrRead)
                _ = attnlab_h5_take_error_message(nil, 0)
                if swmrID >= 0 { return HDF5File(path: path, mode: .swmrRead, id: swmrID) }
            }
            throw failure
        }
    }

    public var isOpen: Bool { id >= 0 }

    public var root: HDF5Group { HDF5Group(file: self, path: "/") }

    /// Freezes the file's structure and lets `.swmrRead` readers in other processes follow
    /// appends and overwrites from here on.
    public func startSWMRWrite() throws {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: path, objectPath: "/")
            try requireOpen(site, "start SWMR write")
            guard mode == .readWrite else {
                throw site.error("start SWMR write", "the file is not open for writing")
            }
            guard !isSWMRWriting else {
                throw site.error("start SWMR write", "SWMR writing has already started")
            }
            try site.check(status: H5Fstart_swmr_write(id), "start SWMR write")
            isSWMRWriting = true
        }
    }

    /// Pushes all written data and metadata to disk; after it returns, readers and a file left
    /// behind by a killed process hold everything written so far.
    public func flush() throws {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: path, objectPath: "/")
            try requireOpen(site, "flush")
            try site.check(status: H5Fflush(id, H5F_SCOPE_GLOBAL), "flush")
        }
    }

    public func close() throws {
        try HDF5Library.locked {
            guard id >= 0 else { return }
            let closing = id
            id = -1
            try HDF5Site(filePath: path, objectPath: "/").check(status: H5Fclose(closing), "close file")
        }
    }

    func requireOpen(_ site: HDF5Site, _ operation: String) throws {
        guard id >= 0 else { throw site.error(operation, "the file is closed") }
    }

    /// Guards operations that add or remove objects or attributes.
    func requireStructureChangeAllowed(_ site: HDF5Site, _ operation: String) throws {
        try requireOpen(site, operation)
        guard mode == .readWrite else {
            throw site.error(operation, "the file is open read-only")
        }
        guard !isSWMRWriting else {
            throw site.error(operation, "SWMR writing has started; objects and attributes must all be created before startSWMRWrite()")
        }
    }

    /// Guards operations that change the contents of existing datasets.
    func requireDataWriteAllowed(_ site: HDF5Site, _ operation: String) throws {
        try requireOpen(site, operation)
        guard mode == .readWrite else {
            throw site.error(operation, "the file is open read-only")
        }
    }

    /// Opens the object at an absolute path, explaining a missing path rather than surfacing
    /// HDF5's generic lookup failure.
    func openObject(_ site: HDF5Site, _ operation: String) throws -> hid_t {
        try requireOpen(site, operation)
        guard objectExists(site.objectPath) else {
            throw site.error(operation, "no object exists at this path")
        }
        return try site.check(H5Oopen(id, site.objectPath, attnlab_h5p_default()), operation)
    }

    func withObject<Result>(
        _ site: HDF5Site, _ operation: String, expecting kind: H5I_type_t? = nil,
        _ body: (hid_t) throws -> Result
    ) throws -> Result {
        let object = try openObject(site, operation)
        defer { H5Oclose(object) }
        if let kind, H5Iget_type(object) != kind {
            let expected = kind == H5I_GROUP ? "a group" : "a dataset"
            throw site.error(operation, "the object is not \(expected)")
        }
        if kind == H5I_DATASET && mode == .swmrRead {
            // A SWMR reader must refresh to see extents and chunks the writer flushed since open.
            try site.check(status: H5Drefresh(object), operation)
        }
        return try body(object)
    }

    /// H5Lexists fails rather than answering false when an intermediate group is missing,
    /// so each ancestor is checked in turn. It also fails when an ancestor is a dataset,
    /// which likewise means nothing exists at the path.
    func objectExists(_ path: String) -> Bool {
        if path == "/" { return true }
        for prefix in HDF5Path.prefixes(of: path) where H5Lexists(id, prefix, attnlab_h5p_default()) <= 0 {
            _ = attnlab_h5_take_error_message(nil, 0)
            return false
        }
        return true
    }
}
