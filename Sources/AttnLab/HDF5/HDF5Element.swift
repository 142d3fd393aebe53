import CHDF5
import CHDF5Shim

/// Element types stored in run files: Float for weights and optimizer state, Double for
/// curves, integer types for steps, token ids and counters.
public enum HDF5ElementType: String, Sendable, CaseIterable {
    case float32, float64, int32, int64, uint16

    var nativeType: hid_t {
        switch self {
        case .float32: attnlab_h5t_native_float()
        case .float64: attnlab_h5t_native_double()
        case .int32: attnlab_h5t_native_int32()
        case .int64: attnlab_h5t_native_int64()
        case .uint16: attnlab_h5t_native_uint16()
        }
    }

    /// The matching case for a type stored in a file, or nil for types run files never use.
    static func matching(_ storedType: hid_t) -> HDF5ElementType? {
        allCases.first { H5Tequal(storedType, $0.nativeType) > 0 }
    }
}

public protocol HDF5Element: Sendable, Equatable {
    static var hdf5ElementType: HDF5ElementType { get }
}

extension Float: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float64 } }
extension Int32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int32 } }
extension Int64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension UInt16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint16 } }

/// A dense row-major N-D array as stored in a dataset; an empty shape means a scalar.
public struct HDF5Array<Element: HDF5Element>: Equatable, Sendable {
    public let shape: [Int]
    public let values: [Element]

    public init(shape: [Int], values: [Element]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.reduce(1, *) == values.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }
}
