/// A fixed-size, uninitialised-on-creation block of scalars. Reference-counted so that views
/// (reshape) share storage, and so the graph's pool can hand the same memory out again next step.
public final class Buffer<T: Scalar>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "buffer size must be non-negative")
        self.count = count
        // 64-byte alignment keeps AVX-512 loads aligned for BLAS and for our own loops.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        self.pointer = raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    @inline(__always) public func zero() {
        UnsafeMutableRawPointer(pointer).initializeMemory(
            as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride)
    }

    @inline(__always) public func fill(_ v: T) { pointer.update(repeating: v, count: count) }
}
