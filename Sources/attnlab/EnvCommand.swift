import ArgumentParser
import AttnLab
import Foundation

/// `attnlab env`: the BLAS kernel, threads and CPU this machine runs with, and its measured sgemm peak.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Show the OpenBLAS core, threads, CPU features and the measured sgemm rate.",
        discussion: """
            The sgemm rate is C = A·B for square float32 matrices on all BLAS threads: after warm-up \
            runs, the best and median of the timed repetitions are reported. The best is the peak \
            that MFU figures divide by.
            """)

    @Option(parsing: .unconditional, help: "Side of the square matrices in the sgemm measurement.")
    var gemmSize = 1024

    @Option(parsing: .unconditional, help: "Timed sgemm repetitions (after two warm-up runs).")
    var repetitions = 10

    @Flag(help: "Print the report as JSON.")
    var json = false

    /// 8192: three float32 matrices of 256 MiB each.
    static let largestGemm = 8192

    func validate() throws {
        try checkOption("--gemm-size", gemmSize, in: 1...Self.largestGemm)
        try checkOption("--repetitions", repetitions, in: 1...100_000)
    }

    func run() throws {
        let report = EnvReport(
            blas: BLASInfo.current(),
            sgemm: try measureSgemmThroughput(size: gemmSize, repetitions: repetitions))
        print(json ? try report.json() : report.text())
    }
}

private struct EnvReport: Encodable {
    var blas: BLASInfo
    var sgemm: GemmThroughput

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text() -> String {
        let present = Set(blas.cpuFlags)
        let missing = CPUFeatures.relevantFlags.filter { !present.contains($0) }
        let rate = { (value: Double) in String(format: "%.1f", value) }
        let n = sgemm.size
        return """
            BLAS core:     \(blas.coreName) (\(blas.coreOrigin.rawValue))
            BLAS config:   \(blas.config)
            BLAS threads:  \(blas.threads)
            CPU:           \(blas.cpuModel ?? "unknown"), \(blas.logicalCores) logical cores
            CPU flags:     \(blas.cpuFlags.isEmpty ? "none of the relevant ones" : blas.cpuFlags.joined(separator: " "))
            missing flags: \(missing.isEmpty ? "none" : missing.joined(separator: " "))
            sgemm \(n)x\(n)x\(n): best \(rate(sgemm.bestGFLOPS)) GFLOP/s, median \(rate(sgemm.medianGFLOPS)) GFLOP/s \
            (\(sgemm.repetitions) runs, \(sgemm.threads) threads)
            """
    }
}
