import CHDF5

/// Anything addressable by path inside a file: groups and datasets. Handles hold only the
/// path, so no HDF5 object stays open between calls and closing the file always succeeds.
public protocol HDF5Object {
    var file: HDF5File { get }
    /// Absolute path inside the file, e.g. "/checkpoint/layers.0.attn.q_proj.weight".
    var path: String { get }
}

extension HDF5Object {
    func site(_ objectPath: String? = nil) -> HDF5Site {
        HDF5Site(filePath: file.path, objectPath: objectPath ?? path)
    }
}
