import CBLAS
import Foundation

/// The BLAS set-up a run executes with; recorded so throughput figures can be interpreted later.
public struct BLASInfo: Sendable, Codable, Equatable {
    public var coreName: String
    public var coreOrigin: CoreTypeOrigin
    public var config: String
    public var threads: Int
    public var cpuModel: String?
    /// The relevant CPU flags this machine has, in `CPUFeatures.relevantFlags` order.
    public var cpuFlags: [String]
    public var logicalCores: Int

    public static func current() -> BLASInfo {
        let cpu = CPUFeatures.current()
        return BLASInfo(
            coreName: openBLASCoreName(),
            coreOrigin: coreTypeOrigin(environment: ProcessInfo.processInfo.environment),
            config: openblas_get_config().map { String(cString: $0) } ?? "unknown",
            threads: Int(openblas_get_num_threads()),
            cpuModel: cpu.modelName,
            cpuFlags: CPUFeatures.relevantFlags.filter(cpu.flags.contains),
            logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// Measured single-precision matrix-product rate; `bestGFLOPS` serves as the machine's peak for MFU.
public struct GemmThroughput: Sendable, Codable, Equatable {
    public var size: Int
    public var repetitions: Int
    public var threads: Int
    public var bestGFLOPS: Double
    public var medianGFLOPS: Double
}

public enum GemmBenchmarkError: Error, CustomStringConvertible {
    case invalidParameters(size: Int, repetitions: Int)

    public var description: String {
        switch self {
        case let .invalidParameters(size, repetitions):
            "gemm benchmark needs size >= 1 and repetitions >= 1 (got size \(size), repetitions \(repetitions))"
        }
    }
}

/// Times C = A·B for square Float matrices on the current BLAS threads. Warm-up runs come first
/// because the first calls pay for thread start-up and page faults; the best of the timed runs is
/// the peak, the median shows how noisy the shared machine is.
public func measureSgemmThroughput(size: Int = 1024, warmups: Int = 2, repetitions: Int = 10) throws -> GemmThroughput {
    guard size >= 1, repetitions >= 1 else {
        throw GemmBenchmarkError.invalidParameters(size: size, repetitions: repetitions)
    }
    let count = size * size
    // Non-trivial values: some kernels shortcut on zeros, which would flatter the figure.
    let a = (0..<count).map { Float(($0 % 97) - 48) / 97 }
    let b = (0..<count).map { Float(($0 % 89) - 44) / 89 }
    var c = [Float](repeating: 0, count: count)
    let runOnce = {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Float.gemm(
                        transA: false, transB: false, m: size, n: size, k: size,
                        alpha: 1, a: pa.baseAddress!, lda: size, b: pb.baseAddress!, ldb: size,
                        beta: 0, c: pc.baseAddress!, ldc: size)
                }
            }
        }
    }
    for _ in 0..<warmups { runOnce() }
    let clock = ContinuousClock()
    var seconds: [Double] = []
    for _ in 0..<repetitions {
        let elapsed = clock.measure(runOnce)
        seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    let flops = 2 * Double(size) * Double(size) * Double(size)
    let rates = seconds.map { flops / max($0, 1e-12) / 1e9 }.sorted()
    return GemmThroughput(
        size: size, repetitions: repetitions, threads: Int(openblas_get_num_threads()),
        bestGFLOPS: rates.last!, medianGFLOPS: median(rates)!)
}
