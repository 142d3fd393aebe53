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

    /// Where the file is; changes only through `publish(as:)`.
    public private(set) var path: String
    public let mode: Mode
    public private(set) var isSWMRWriting = false
    private(set) var id: hid_t

    private init(path: String, mode: Mode, id: hid_t) {
        self.path = path
        self.mode = mode
        self.id = id
    }

    /// Wraps a freshly opened file id, first marking HDF5's file descriptor close-on-exec. HDF5
    /// opens files without `O_CLOEXEC` and holds a `flock` on them; a child process started while
    /// the file is open (git, h5clear, a sweep's runs, another test's subprocess) would inherit
    /// the descriptor and, with it, the lock, so the file could not be reopened until the child
    /// exits ("unable to lock file, errno = 11").
    private static func adopt(_ id: hid_t, path: String, mode: Mode, _ site: HDF5Site, _ operation: String) throws -> HDF5File {
        let file = HDF5File(path: path, mode: mode, id: id)
        var handle: UnsafeMutableRawPointer?
        try site.check(status: H5Fget_vfd_handle(id, attnlab_h5p_default(), &handle), operation)
        if let handle {
            let fd = handle.load(as: Int32.self)
            let flags = fcntl(fd, F_GETFD)
            guard flags >= 0, fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0 else {
                throw site.error(operation, "cannot mark the file descriptor close-on-exec: \(String(cString: strerror(errno)))")
            }
        }
        return file
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
            // EXCL as well as the check above: another process may create the file in between.
            let flags = overwrite ? attnlab_h5f_acc_trunc() : attnlab_h5f_acc_excl()
            let id = try site.using(attnlab_h5p_latest_format_fapl(), close: H5Pclose, "create file") { fapl in
                try site.check(H5Fcreate(path, flags, attnlab_h5p_default(), fapl), "create file")
            }
            return try adopt(id, path: path, mode: .readWrite, site, "create file")
        }
    }

    /// How often a SWMR reader re-reads a piece of metadata whose checksum does not match before
    /// giving up. HDF5's default (100, with growing sleeps between attempts) exists to ride out a
    /// writer caught mid-flush, but on a damaged file it makes every reader sleep for minutes; a
    /// few attempts cover a live writer's flush and fail a damaged file within a second.
    static let swmrMetadataReadAttempts: UInt32 = 8

    /// Opens an existing file.
    ///
    /// `.readOnly` also opens a file that a SWMR writer still has open, or left behind when it
    /// was killed: HDF5 marks those "open for write" and lets only SWMR readers past the mark, so
    /// exactly that refusal (and no other failure) is retried as `.swmrRead`, and the handle
    /// reports that mode. A damaged file therefore fails fast with HDF5's own reason.
    ///
    /// - Throws: `HDF5Error` naming the file when it is missing or HDF5 cannot open it.
    public static func open(path: String, mode: Mode = .readOnly) throws -> HDF5File {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: path, objectPath: "/")
            guard FileManager.default.fileExists(atPath: path) else {
                throw site.error("open file", "no such file")
            }
            if let problem = RegularFile.problem(path) { throw site.error("open file", problem) }
            // The failure is read off HDF5's error stack before the property list is closed:
            // every API call, H5Pclose included, clears the stack on entry.
            func open(_ mode: Mode) throws -> Result<hid_t, HDF5Error> {
                let flags: UInt32 = switch mode {
                case .readOnly: attnlab_h5f_acc_rdonly()
                case .readWrite: attnlab_h5f_acc_rdwr()
                case .swmrRead: attnlab_h5f_acc_rdonly() | attnlab_h5f_acc_swmr_read()
                }
                let attempts: UInt32 = mode == .swmrRead ? swmrMetadataReadAttempts : 1
                return try site.using(attnlab_h5p_latest_format_fapl(), close: H5Pclose, "open file") { fapl in
                    try site.check(status: H5Pset_metadata_read_attempts(fapl, attempts), "open file")
                    let id = H5Fopen(path, flags, fapl)
                    return id >= 0 ? .success(id) : .failure(site.libraryError("open file"))
                }
            }
            switch try open(mode) {
            case .success(let id): return try adopt(id, path: path, mode: mode, site, "open file")
            case .failure(let failure):
                guard mode == .readOnly && failure.reason.contains("already open for write") else { throw failure }
                let id = try open(.swmrRead).get()
                return try adopt(id, path: path, mode: .swmrRead, site, "open file")
            }
        }
    }

    /// Checks that the file on disk is as long as HDF5's superblock says it should be. HDF5
    /// checks this itself only for non-SWMR opens; a SWMR reader (the mode a killed run's file
    /// needs) reads a file cut short without complaint until it reaches a missing block.
    /// Call it only when no process is writing the file: a live writer may have allocated space
    /// it has not written yet.
    ///
    /// - Throws: `HDF5Error` when the file is shorter than its end-of-allocation address.
    public func verifyLength() throws {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: path, objectPath: "/")
            try requireOpen(site, "check file length")
            var eoa: haddr_t = 0
            try site.check(status: H5Fget_eoa(id, &eoa), "check file length")
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw site.error("check file length", String(cString: strerror(errno)))
            }
            if UInt64(info.st_size) < UInt64(eoa) {
                throw site.error("check file length", "the file is \(info.st_size) bytes long but its HDF5 superblock says \(eoa): it was cut short (copied or written incompletely)")
            }
        }
    }

    /// Gives the open file its final name: links `newPath` to it, refusing to replace anything
    /// there, then removes the current name. A file built under a temporary name and published
    /// once it is complete never appears half-made at `newPath`, whenever the process dies.
    ///
    /// - Throws: `HDF5Error` when `newPath` exists or the OS refuses the link.
    public func publish(as newPath: String) throws {
        try HDF5Library.locked {
            let site = HDF5Site(filePath: newPath, objectPath: "/")
            try requireOpen(site, "publish file")
            guard link(path, newPath) == 0 else {
                let reason = errno == EEXIST ? "a file already exists there" : String(cString: strerror(errno))
                throw site.error("publish file", "cannot link \(path) to it: \(reason)")
            }
            let old = path
            path = newPath
            guard unlink(old) == 0 else {
                throw site.error("publish file", "published, but cannot remove the temporary name \(old): \(String(cString: strerror(errno)))")
            }
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

    /// Refuses to read a dataset whose stored shape could not fit in the file: a damaged file
    /// can claim any dimensions, and allocating for them would exhaust memory instead of
    /// reporting the damage. Run files store no compressed data, so every dataset's values take
    /// at most the file's length (plus one partly written chunk for appendable curves).
    func requirePlausibleSize(_ shape: [Int], elementSize: Int, _ site: HDF5Site, _ operation: String) throws {
        var bytes = elementSize
        for dimension in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: max(dimension, 0))
            guard !overflow else { bytes = .max; break }
            bytes = product
        }
        var info = stat()
        let fileBytes = stat(path, &info) == 0 ? Int(info.st_size) : Int.max / 2
        guard bytes <= fileBytes + (16 << 20) else {
            throw site.error(operation, "the dataset claims shape \(shape), more data than the \(fileBytes)-byte file can hold: the file is damaged")
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
        return H5Oopen(id, site.objectPath, attnlab_h5p_default())
    }

    func withObject<Result>(
        _ site: HDF5Site, _ operation: String, expecting kind: H5I_type_t? = nil,
        _ body: (hid_t) throws -> Result
    ) throws -> Result {
        try site.using(try openObject(site, operation), close: H5Oclose, operation) { object in
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
