import Foundation

/// What `attnlab sweep` was asked to do.
public struct SweepOptions: Sendable {
    public var experiment: String
    public var experimentsDirectory: URL
    public var resultsDirectory: URL
    public var dataDirectory: String
    public var overrides: [String]
    /// Runs trained at the same time.
    public var jobs: Int
    /// The `attnlab` executable the children run (the sweep's own, normally).
    public var executable: String
    public var cores: Int
    public init(experiment: String, experimentsDirectory: URL, resultsDirectory: URL, dataDirectory: String = "data",
                overrides: [String] = [], jobs: Int = 1, executable: String = currentExecutablePath(),
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.experiment = experiment; self.experimentsDirectory = experimentsDirectory; self.resultsDirectory = resultsDirectory
        self.dataDirectory = dataDirectory; self.overrides = overrides; self.jobs = jobs; self.executable = executable; self.cores = cores
    }
}

/// How a sweep ended; `exitCode` is 0, 1 (a run failed, diverged or conflicts) or 130 (Ctrl-C).
public struct SweepReport: Sendable {
    public var plan: [SweepPlanEntry]
    public var finished: [String] = [], skipped: [String] = [], resumed: [String] = [], restarted: [String] = []
    public var interrupted: [String] = []
    /// Runs that failed, diverged (now or before) or could not be planned, with the reason.
    public var failed: [(run: String, reason: String)] = []
    public var seconds = 0.0
    public var summaryPath: String?
    public var stoppedBySignal = false
    public var exitCode: Int32 { stoppedBySignal ? 130 : failed.isEmpty && interrupted.isEmpty ? 0 : 1 }
}

/// Trains the runs of an experiment that are not finished yet, `jobs` at a time, each in an
/// `attnlab run` child whose output goes to `<results>/<experiment>/<run>.log`. Progress and
/// the summary go to `out`, one line per call.
public func runSweep(_ options: SweepOptions, out: (String) -> Void) throws -> SweepReport {
    let clock = ContinuousClock(), started = clock.now
    let experiment = try loadExperiment(name: options.experiment, directory: options.experimentsDirectory, overrides: options.overrides)
    let folder = options.resultsDirectory.appendingPathComponent(experiment.name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let plan = planExperimentRuns(experiment, resultsDirectory: options.resultsDirectory)
    var report = SweepReport(plan: plan)

    let userThreads = overridesSetThreads(options.overrides)
    let threads = sweepThreadsPerJob(cores: options.cores, jobs: options.jobs)
    let work = plan.filter { $0.action.trains }
    let width = plan.map(\.run.count).max() ?? 0
    func pad(_ s: String) -> String { s.padding(toLength: max(width, s.count), withPad: " ", startingAt: 0) }
    out("sweep \(experiment.name): \(plan.count) runs, \(work.count) to train, \(options.jobs) job\(options.jobs == 1 ? "" : "s") x "
        + (userThreads ? "threads from --set" : "\(threads) thread\(threads == 1 ? "" : "s")"))
    for e in plan { out("  \(pad(e.run))  \(e.action.planText)") }

    for e in plan {
        switch e.action {
        case .skip: report.skipped.append(e.run)
        case .diverged(let step): report.failed.append((e.run, "diverged at step \(step) (earlier run; not retried)"))
        case .conflict(let why): report.failed.append((e.run, why))
        default: break
        }
    }
    if plan.contains(where: { if case .conflict = $0.action { true } else { false } }) {
        out("nothing trained: resolve the errors above first")
        report.seconds = (clock.now - started).seconds
        return report
    }

    var environment = ProcessInfo.processInfo.environment
    environment[StopRequest.sweepParentVariable] = String(getpid())
    // OpenBLAS sizes its own pool from the cores unless told; with parallel jobs that oversubscribes.
    if !userThreads && environment["OPENBLAS_NUM_THREADS"] == nil { environment["OPENBLAS_NUM_THREADS"] = String(threads) }

    struct Running { let entry: SweepPlanEntry; let child: SweepChild; let start: ContinuousClock.Instant; var forwarded: Int }
    var pending = work[...]
    var running: [Running] = []
    var durations: [Double] = []
    var done = 0
    SweepSignals.install()

    func start(_ e: SweepPlanEntry) throws {
        var args = ["run", experiment.name, "--run", e.run, "--experiments", options.experimentsDirectory.path,
                    "--results", options.resultsDirectory.path, "--data-dir", options.dataDirectory]
        args += options.overrides.flatMap { ["--set", $0] }
        switch e.action {
        case .resume(_, let stored):
            // Last --set wins: the trainer resumes only the config the file was written with.
            args += ["--set", "train.threads=\(stored)", "--resume", e.path]
            report.resumed.append(e.run)
        case .restart(let aside, _):
            let moved = try moveRunFileAside(path: e.path, asideName: aside)
            out("moved \(e.path) to \(moved)")
            report.restarted.append(e.run)
            if !userThreads { args += ["--set", "train.threads=\(threads)"] }
        default:
            if !userThreads { args += ["--set", "train.threads=\(threads)"] }
        }
        RunFailureRecord.remove(runPath: e.path)
        let log = folder.appendingPathComponent(e.run + ".log").path
        appendLine(log, "=== \(Date()) attnlab sweep: \(([options.executable] + args).joined(separator: " "))")
        let child = try SweepChild.spawn(executable: options.executable, arguments: args, environment: environment, logPath: log)
        running.append(Running(entry: e, child: child, start: clock.now, forwarded: 0))
        out("start  \(pad(e.run))  \(e.action.planText) (log \(log))")
    }

    func finish(_ r: Running, code: Int32) {
        let seconds = (clock.now - r.start).seconds
        let log = folder.appendingPathComponent(r.entry.run + ".log").path
        let summary = try? RunRecord(path: r.entry.path)
        let took = String(format: "%.1fs", seconds)
        switch summary?.status {
        case .finished? where code == 0:
            report.finished.append(r.entry.run)
            durations.append(seconds)
            out("done   \(pad(r.entry.run))  finished  \(sweepEvalText(summary!.finalEval))  \(took)")
        case .diverged?:
            report.failed.append((r.entry.run, "diverged at step \(summary!.step)"))
            out("done   \(pad(r.entry.run))  diverged at step \(summary!.step)  \(took)")
        case .interrupted? where code == 130:
            report.interrupted.append(r.entry.run)
            out("done   \(pad(r.entry.run))  interrupted at step \(summary!.step)  \(took)")
        default:
            let why = "exit code \(code)" + (lastLine(log).map { ": \($0)" } ?? "") + " (log \(log))"
            if code == 130 { report.interrupted.append(r.entry.run) } else {
                report.failed.append((r.entry.run, why))
                try? RunFailureRecord(runPath: r.entry.path, reason: why).write()
            }
            out("done   \(pad(r.entry.run))  \(code == 130 ? "stopped" : "failed"), \(why)  \(took)")
        }
        done += 1
        let eta = sweepETA(finishedDurations: durations, runningElapsed: running.map { (clock.now - $0.start).seconds },
                           pending: SweepSignals.received > 0 ? 0 : pending.count, jobs: options.jobs)
        out("progress: \(done)/\(work.count) runs done, \(running.count) running, elapsed \(sweepClock((clock.now - started).seconds)), ETA "
            + (eta.map(sweepClock) ?? "unknown"))
    }

    var noted = false
    while true {
        let signals = SweepSignals.received
        if signals > 0 {
            if !noted {
                noted = true
                out("interrupt: stopping \(running.count) running run\(running.count == 1 ? "" : "s") after their next step (a second Ctrl-C stops at once); sweep again to finish")
            }
            for i in running.indices where running[i].forwarded < signals {
                running[i].child.interrupt()
                running[i].forwarded += 1
            }
        }
        var i = 0
        while i < running.count {
            if let code = running[i].child.poll() { finish(running.remove(at: i), code: code) } else { i += 1 }
        }
        while signals == 0 && running.count < options.jobs, let next = pending.popFirst() {
            do { try start(next) } catch {
                report.failed.append((next.run, "\(error)"))
                out("error  \(pad(next.run))  \(error)")
            }
        }
        if running.isEmpty && (pending.isEmpty || signals > 0) { break }
        usleep(20_000)
    }
    report.stoppedBySignal = SweepSignals.received > 0
    report.interrupted += pending.map(\.run)
    let order = Dictionary(uniqueKeysWithValues: plan.enumerated().map { ($1.run, $0) })
    report.interrupted.sort { order[$0]! < order[$1]! }
    report.seconds = (clock.now - started).seconds
    report.summaryPath = (try? writeExperimentSummary(experiment: experiment.name, resultsDirectory: options.resultsDirectory))?.path

    out("")
    out("sweep \(experiment.name): \(report.finished.count) finished (\(report.resumed.count) resumed, \(report.restarted.count) restarted), "
        + "\(report.skipped.count) skipped, \(report.failed.count) failed, \(report.interrupted.count) not done; wall time \(sweepClock(report.seconds))")
    for f in report.failed { out("failed: \(f.run): \(f.reason)") }
    if !report.interrupted.isEmpty { out("not done: \(report.interrupted.joined(separator: ", ")); run the sweep again to finish them") }
    if let table = report.summaryPath { out("table: \(table)") }
    return report
}

private func appendLine(_ path: String, _ line: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// The last non-empty line of a log, for a failure message; progress redraws are cut at `\r`.
private func lastLine(_ path: String) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init)
}
