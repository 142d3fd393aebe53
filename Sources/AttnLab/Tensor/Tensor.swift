/// A contiguous row-major tensor. `grad` exists only for tensors that take part in a recorded
/// backward pass; views made by `reshape` share both `data` and `grad` with their source.
public final class Tensor<T: Scalar>: @unchecked Sendable {
    public let shape: [Int]
    public let data: Buffer<T>
    public internal(set) var grad: Buffer<T>?
    public var requiresGrad: Bool { grad != nil }
    /// Hierarchical parameter name (`layers.3.attn.kv_a_proj_with_mqa.weight`); empty for activations.
    public var name: String

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    @inline(__always) public var ptr: UnsafeMutablePointer<T> { data.pointer }
    /// The gradient buffer; only valid on tensors that require gradients.
    @inline(__always) public var gptr: UnsafeMutablePointer<T> { grad!.pointer }

    public init(shape: [Int], data: Buffer<T>, grad: Buffer<T>? = nil, name: String = "") {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) does not match buffer of \(data.count) elements")
        precondition(grad == nil || grad!.count == data.count, "gradient size mismatch")
        self.shape = shape
        self.data = data
        self.grad = grad
        self.name = name
    }

    /// A fresh zero-filled tensor (not pooled).
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false, name: String = "") {
        let n = shape.reduce(1, *)
        let d = Buffer<T>(count: n)
        d.zero()
        var g: Buffer<T>? = nil
        if requiresGrad { g = Buffer<T>(count: n); g!.zero() }
        self.init(shape: shape, data: d, grad: g, name: name)
    }

    public convenience init(shape: [Int], values: [T], requiresGrad: Bool = false, name: String = "") {
        self.init(zeros: shape, requiresGrad: requiresGrad, name: name)
        precondition(values.count == count, "expected \(count) values for shape \(shape), got \(values.count)")
        values.withUnsafeBufferPointer { ptr.update(from: $0.baseAddress!, count: count) }
    }

    /// Gives this tensor a zeroed gradient buffer (parameters), or zeroes the existing one.
    public func enableGrad() {
        if grad == nil { grad = Buffer<T>(count: count) }
        grad!.zero()
    }

    public func zeroGrad() { grad?.zero() }

    public var array: [T] { Array(UnsafeBufferPointer(start: ptr, count: count)) }
    public var gradArray: [T]? { grad.map { Array(UnsafeBufferPointer(start: $0.pointer, count: count)) } }

    public subscript(flat i: Int) -> T {
        get { ptr[i] }
        set { ptr[i] = newValue }
    }

    /// Size of the last axis, and the product of the leading ones.
    public var lastDim: Int { shape.last ?? 1 }
    public var rows: Int { shape.isEmpty ? 1 : count / max(lastDim, 1) }

    public func copy(from other: Tensor<T>) {
        precondition(other.count == count, "copy between tensors of different sizes")
        ptr.update(from: other.ptr, count: count)
    }
}
