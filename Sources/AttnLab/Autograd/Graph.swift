/// Reverse-mode autograd as a tape: every op computes its forward result immediately and, when
/// recording, appends the closure that back-propagates through it. `backward` runs the tape in
/// reverse. Ops live in `Ops/`, each with its forward and backward side by side.
///
/// Memory: activations, their gradients and saved scratch come from a pool owned by the graph
/// and are recycled by `reset()`, so a training step reuses the previous step's buffers instead
/// of faulting in fresh pages. Tensors made by a graph are valid until its next `reset()`.
public final class Graph<T: Scalar> {
    /// When false (inference), ops record nothing and allocate no gradient buffers.
    public let recording: Bool
    /// The recorded backward closures, each with the gradient buffer of the output it reads.
    private var tape: [(outputGrad: Buffer<T>?, run: () -> Void)] = []
    private var free: [Int: [Buffer<T>]] = [:]
    private var lent: [Buffer<T>] = []
    /// When set, the forward reports stability measurements into it (attention logits, latent
    /// RMS); nil, the default, costs nothing.
    public var diagnostics: ForwardDiagnostics?
    /// When set, every recorded op's forward and backward time is added to its family
    /// (`OpProfile`); nil, the default, costs one nil check per recorded op.
    public var profile: OpProfile?

    /// Also turns on `SubnormalFlush` for the calling thread, which runs the graph's ops.
    public init(recording: Bool = true) {
        self.recording = recording
        SubnormalFlush.enableOnThisThread()
    }

    /// Number of recorded backward closures (for tests and diagnostics).
    public var tapeLength: Int { tape.count }

    /// A pooled buffer of `count` elements, uninitialised, valid until `reset()`.
    public func scratch(_ count: Int) -> Buffer<T> {
        let b: Buffer<T>
        if var list = free[count], let last = list.popLast() {
            free[count] = list
            b = last
        } else {
            b = Buffer<T>(count: count)
        }
        b.zeroPending = false
        lent.append(b)
        return b
    }

    /// A zero-filled pooled buffer.
    public func zeros(_ count: Int) -> Buffer<T> {
        let b = scratch(count)
        b.zero()
        return b
    }

    /// Whether an op over these inputs must record a backward pass.
    @inline(__always)
    public func needsGrad(_ inputs: Tensor<T>...) -> Bool {
        recording && inputs.contains { $0.requiresGrad }
    }

    /// An op's output: uninitialised data, and, when the op is recorded, a gradient buffer that
    /// stands for zeros without being filled (`Buffer.zeroPending`).
    public func output(_ shape: [Int], grad: Bool) -> Tensor<T> {
        let n = shape.reduce(1, *)
        var g: Buffer<T>? = nil
        if grad {
            g = scratch(n)
            g!.zeroPending = true
        }
        return Tensor(shape: shape, data: scratch(n), grad: g)
    }

    /// Appends the backward closure of an op of `family` whose result is `output`, called when
    /// its forward is done. The closure reads `output`'s gradient, which the graph zero-fills
    /// first if nothing wrote it (an output no later op used), and adds into its inputs'
    /// gradients: through `Buffer.claimFirstWrite` where it writes every element of one (it may
    /// then assign instead of add), through `Buffer.materialize` then `+=` where it does not.
    @inline(__always)
    public func record(_ family: OpFamily, output: Tensor<T>, _ backward: @escaping () -> Void) {
        guard recording else { return }
        if let profile {
            profile.endForward(family)
            tape.append((output.grad, profile.timed(family, backward)))
        } else {
            tape.append((output.grad, backward))
        }
    }

    /// Seeds d(loss)/d(loss) = 1 and runs the tape in reverse. `loss` must be a scalar that
    /// requires gradients.
    public func backward(_ loss: Tensor<T>) {
        precondition(recording, "backward() on a graph that does not record")
        precondition(loss.count == 1, "backward() needs a scalar loss, got shape \(loss.shape)")
        guard let g = loss.grad else { return }
        g.materialize()
        g.pointer[0] += 1
        for op in tape.reversed() {
            op.outputGrad?.materialize()
            op.run()
        }
        tape.removeAll(keepingCapacity: true)
    }

    /// Drops the tape and keeps the buffers this step used for reuse by the next step; buffers
    /// the step did not ask for are released. A training step asks for the same sizes every
    /// time and so reuses everything; decoding asks for sizes that grow with the context, and
    /// keeping every size ever used would grow the pool without bound (about 3.7 GB at batch 8
    /// and context 2,048 for the reference MLA in `attnlab bench decode`, mostly page faults).
    public func reset() {
        tape.removeAll(keepingCapacity: true)
        free.removeAll(keepingCapacity: true)
        for b in lent { free[b.count, default: []].append(b) }
        lent.removeAll(keepingCapacity: true)
    }

    /// Bytes currently held by the pool (lent and free).
    public var pooledBytes: Int {
        let lentCount = lent.reduce(0) { $0 + $1.count }
        let freeCount = free.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        return (lentCount + freeCount) * MemoryLayout<T>.stride
    }
}
