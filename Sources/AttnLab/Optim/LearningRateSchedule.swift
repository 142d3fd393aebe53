import Foundation

/// Linear warm-up to the peak rate, then cosine decay to `minRatio · peak` at the last step
/// (or constant after warm-up).
public struct LearningRateSchedule: Sendable, Equatable {
    /// The config's `schedule.kind`: one enum for the key and the schedule.
    public typealias Kind = ScheduleConfig.Kind
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minRatio: Double
    public var kind: Kind

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, minRatio: Double, kind: Kind) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
        self.minRatio = minRatio; self.kind = kind
    }

    /// Rate for 0-based step `step`.
    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        switch kind {
        case .constant: return peak
        case .cosine: break
        }
        let span = max(totalSteps - 1 - warmupSteps, 1)
        let progress = min(Double(step - warmupSteps) / Double(span), 1)
        let floor = peak * minRatio
        return floor + 0.5 * (peak - floor) * (1 + cos(Double.pi * progress))
    }
}
