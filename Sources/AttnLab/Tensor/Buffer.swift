/// A fixed-size, uninitialised-on-creation block of scalars. Reference-counted so that views
/// (reshape) share storage, and so the graph's pool can hand the same memory out again next step.
public final class Buffer<T: Scalar>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int
    /// True while the buffer stands for zeros that were never written: a gradient buffer the
    /// graph lent for an op's output (`Graph.output`) and no backward has touched yet. Its
    /// memory is then undefined; the first backward to reach it either overwrites all of it
    /// (`claimFirstWrite`) or zero-fills it first (`materialize`). Saves the zero-fill and the
    /// read of zeros that `+=` into a zeroed buffer costs (PyTorch likewise assigns the first
    /// gradient instead of adding it to zeros).
    public var zeroPending = false

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

    /// For a backward that is about to write every element of this buffer: true when it may
    /// assign (`=`, or a GEMM's beta 0) because the buffer still stands for zeros, false when it
    /// must add (`+=`, beta 1). Either way the buffer counts as written afterwards. Assigning v
    /// gives the bits of 0 + v (except that −0 stays −0, which no later sum can tell apart).
    /// `writesAll: false` (e.g. a broadcast over zero rows, which writes nothing) zero-fills
    /// instead and returns false.
    @inline(__always) public func claimFirstWrite(writesAll: Bool = true) -> Bool {
        guard writesAll else { materialize(); return false }
        let first = zeroPending
        zeroPending = false
        return first
    }

    /// For a backward that adds into only part of this buffer, or reads it: zero-fills it if it
    /// still stands for zeros, so `+=` is correct.
    @inline(__always) public func materialize() {
        if zeroPending { zero(); zeroPending = false }
    }
}

/// A gradient element after adding `v` to it: `old + v`, or `0 + v` when `assign` (the buffer
/// stood for zeros, `Buffer.claimFirstWrite`, and `old` is not read into the sum). The same IEEE
/// sum as adding into a zero-filled buffer, so results are bit for bit those of `+=`; written as
/// a select so loops over it still vectorise.
@inline(__always)
public func gradientSum<T: Scalar>(_ old: T, _ v: T, assign: Bool) -> T { (assign ? 0 : old) + v }
