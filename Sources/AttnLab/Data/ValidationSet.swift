/// The validation set of a run: the windows a validation loss is the mean over. It is a function
/// of the data and the window length only, never of `train.batch_size`, `train.grad_accum` or
/// the thread count, so runs that train on the same data report losses over the same tokens.
///
/// - Text (a token stream, the validation split of `TokenDataset`): the non-overlapping windows
///   of `seq_len + 1` tokens at stride `seq_len`, from the start of the split. Window `i` reads
///   tokens `[i T, i T + T]` (T = `seq_len`): its inputs are the first T, its targets the last T,
///   so consecutive windows share one token and every token of the split after the first is a
///   target exactly once, in a context of 0 to T - 1 preceding tokens. There are
///   `floor((n - 1) / T)` windows for a split of n tokens; the last `(n - 1) mod T` targets
///   (fewer than one window) are not scored.
/// - MQAR (fixed examples): each validation example is one window of `data.mqar.seq_len`
///   tokens; only its labelled positions are scored.
///
/// Periodic evaluations use `subset(windows:)`, the whole-split final evaluation `all`.
public struct ValidationSet: Sendable, Equatable {
    enum Source: Sendable, Equatable {
        case stream(ArraySlice<Int32>)
        case examples(TokenBatch)
    }

    let source: Source
    /// Tokens fed per window (T): `seq_len` for text, `data.mqar.seq_len` for MQAR.
    public let windowLength: Int
    /// Number of windows.
    public let count: Int

    /// The windows of a token stream (see the type's description).
    ///
    /// - Throws: `DataError` when the stream has fewer than `seqLen + 1` tokens (no window).
    public init(stream: ArraySlice<Int32>, seqLen: Int) throws {
        precondition(seqLen >= 1, "seq_len must be positive")
        guard stream.count > seqLen else {
            throw DataError("validation set: the split has \(stream.count) tokens; expected at least seq_len + 1 = \(seqLen + 1) (raise data.val_fraction or lower data.seq_len)")
        }
        source = .stream(stream)
        windowLength = seqLen
        count = (stream.count - 1) / seqLen
    }

    /// One window per example (MQAR): `examples.batchSize` windows of `examples.seqLen` tokens.
    ///
    /// - Throws: `DataError` when there are no examples.
    public init(examples: TokenBatch) throws {
        guard examples.batchSize > 0 else { throw DataError("validation set: no validation examples; expected at least one") }
        source = .examples(examples)
        windowLength = examples.seqLen
        count = examples.batchSize
    }

    /// Every window, in order: what the final evaluation of a run covers.
    public var all: [Int] { Array(0..<count) }

    /// `windows` window indices spread evenly over the whole set: `floor(i * W / n)` for
    /// i = 0..<n, with W = `count` and n = `windows` (distinct and increasing because n <= W).
    /// `windows` = 0, or at least `count`, gives every window.
    public func subset(windows: Int) -> [Int] {
        precondition(windows >= 0, "a window count is >= 0")
        guard windows > 0 && windows < count else { return all }
        return (0..<windows).map { $0 * count / windows }
    }

    /// The windows at `indices`, in that order, as one batch of `indices.count` rows of
    /// `windowLength` tokens.
    public func batch(_ indices: some Collection<Int>) -> TokenBatch {
        let t = windowLength
        var inputs = [Int32](), targets = [Int32]()
        inputs.reserveCapacity(indices.count * t); targets.reserveCapacity(indices.count * t)
        for i in indices {
            precondition(i >= 0 && i < count, "window \(i) outside 0..<\(count)")
            switch source {
            case .stream(let s):
                let start = s.startIndex + i * t
                inputs += s[start..<(start + t)]
                targets += s[(start + 1)...(start + t)]
            case .examples(let ex):
                inputs += ex.inputs[(i * t)..<((i + 1) * t)]
                targets += ex.targets[(i * t)..<((i + 1) * t)]
            }
        }
        return TokenBatch(batchSize: indices.count, seqLen: t, inputs: inputs, targets: targets)
    }

    /// The windows that cover the first `tokens` targets: `ceil(tokens / windowLength)` of
    /// them, at most `count`; 0 means every window.
    public func leading(tokens: Int) -> [Int] {
        precondition(tokens >= 0, "a token count is >= 0")
        guard tokens > 0 else { return all }
        return Array(0..<min(count, (tokens + windowLength - 1) / windowLength))
    }
}
