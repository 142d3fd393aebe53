/// Flags loss and gradient-norm spikes against the running median of the preceding steps
/// (results/README.md, "Stability diagnostics"):
///
/// - gradient norm (before clipping) > `gradNormFactor` (5) × the median of the previous
///   `window` (50) steps' gradient norms;
/// - loss > the median of the previous `window` steps' losses + `lossMargin` (0.5 nats/token).
///
/// A step is tested only once the window is full and the learning-rate warmup is over (step >
/// max(`window`, `schedule.warmup_steps`)), since loss and gradient norm fall steeply at the start
/// and the median would lag behind them. Non-finite values are never spikes (they end the run as
/// `diverged`) and do not enter the window. The thresholds come from the 39 committed 400-step
/// text run files of `results/` (stable, no divergence): with this window their largest ratio
/// of gradient norm to median after warmup is 3.6 and their largest loss above the median 0.25
/// nats, so neither rule fires on them, while a step whose update blew up exceeds both.
///
/// The detector's state is the last `window` (loss, gradient norm) pairs, all of which the run
/// file's `/train` holds, so a resumed run rebuilds it exactly (`init(… history:)`).
public struct SpikeDetector: Sendable {
    public static let window = 50
    public static let gradNormFactor = 5.0
    public static let lossMargin = 0.5

    /// Steps at or before this are not tested (the window filling, warmup).
    public let quietUntil: Int
    private var losses: [Double] = []
    private var gradNorms: [Double] = []

    /// `history`: (step, loss, gradient norm) of the steps already taken, oldest first.
    public init(warmupSteps: Int, history: [(step: Int, loss: Double, gradNorm: Double)] = []) {
        quietUntil = max(Self.window, warmupSteps)
        for h in history { remember(loss: h.loss, gradNorm: h.gradNorm) }
    }

    /// Tests one completed step against the window, then adds it to the window. Returns the
    /// spikes of this step (loss first).
    public mutating func observe(step: Int, loss: Double, gradNorm: Double) -> [SpikeEvent] {
        guard loss.isFinite && gradNorm.isFinite else { return [] }
        var events: [SpikeEvent] = []
        if step > quietUntil && losses.count == Self.window, let ml = median(losses), let mg = median(gradNorms) {
            if loss > ml + Self.lossMargin { events.append(SpikeEvent(step: step, kind: .loss, value: loss, median: ml)) }
            if gradNorm > Self.gradNormFactor * mg { events.append(SpikeEvent(step: step, kind: .gradNorm, value: gradNorm, median: mg)) }
        }
        remember(loss: loss, gradNorm: gradNorm)
        return events
    }

    private mutating func remember(loss: Double, gradNorm: Double) {
        guard loss.isFinite && gradNorm.isFinite else { return }
        losses.append(loss); gradNorms.append(gradNorm)
        if losses.count > Self.window { losses.removeFirst(); gradNorms.removeFirst() }
    }
}
