import CBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Environment variable that OpenBLAS (DYNAMIC_ARCH builds) reads once, when it is loaded.
public let openBLASCoreTypeVariable = "OPENBLAS_CORETYPE"
/// Set on the re-executed process, to the core AttnLab chose: it stops a second re-exec and lets
/// `attnlab env` tell AttnLab's choice from the user's.
public let attnLabReexecGuardVariable = "ATTNLAB_BLAS_REEXEC"

/// The AVX-512 subsets OpenBLAS's SkylakeX kernels execute.
public let skylakeXRequiredFlags: Set<String> = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]

/// OpenBLAS cores whose kernels predate AVX2/FMA. Debian's OpenBLAS 0.3.21 falls back to Prescott on
/// CPUs it does not recognise (such as AVX-512 AMD EPYC), which makes sgemm about 9x slower.
/// Cores not listed here (Haswell, Zen, SkylakeX, names from newer releases) are left alone.
public let preAVX2OpenBLASCores: Set<String> = [
    "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2",
    "penryn", "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano",
    "bobcat", "sandybridge", "bulldozer", "piledriver", "steamroller",
]

/// The OpenBLAS core type AttnLab should force, or nil to keep what the library picked.
///
/// - A non-empty `userSetting` is the user's choice and is never overridden. An empty value counts
///   as unset: OpenBLAS itself rejects it ("Core not found") and falls back to detection.
/// - Only a pre-AVX2 (or empty/unknown) `currentCore` is replaced, so a good detection stays.
public func chooseOpenBLASCoreType(currentCore: String, cpuFlags: Set<String>, userSetting: String?) -> String? {
    if let userSetting, !userSetting.isEmpty { return nil }
    let core = currentCore.trimmingCharacters(in: .whitespaces).lowercased()
    guard core.isEmpty || preAVX2OpenBLASCores.contains(core) else { return nil }
    if skylakeXRequiredFlags.isSubset(of: cpuFlags) { return "SkylakeX" }
    if cpuFlags.contains("avx2"), cpuFlags.contains("fma") { return "Haswell" }
    return nil
}

/// Who decided which OpenBLAS core runs.
public enum CoreTypeOrigin: String, Sendable, Codable {
    case autoSelected = "auto-selected by AttnLab"
    case user = "set by user"
    case libraryDefault = "library default"
}

/// Reads the origin from the environment: the guard holds the value AttnLab set, so a matching
/// OPENBLAS_CORETYPE is AttnLab's and any other non-empty value is the user's.
public func coreTypeOrigin(environment: [String: String]) -> CoreTypeOrigin {
    guard let setting = environment[openBLASCoreTypeVariable], !setting.isEmpty else { return .libraryDefault }
    return environment[attnLabReexecGuardVariable] == setting ? .autoSelected : .user
}

/// The core name OpenBLAS is running with.
public func openBLASCoreName() -> String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name).trimmingCharacters(in: .whitespaces)
}

/// Re-executes the current program once with OPENBLAS_CORETYPE set when the loaded OpenBLAS chose a
/// generic core on a CPU with AVX2 or AVX-512. Must run first thing in `main`: the library has
/// already read the variable by then, so only a fresh process image picks the new value up.
/// Returns only when no re-exec is needed or exec failed (then with a warning on stderr).
public func reexecWithFasterOpenBLASCoreIfNeeded() {
    let environment = ProcessInfo.processInfo.environment
    guard environment[attnLabReexecGuardVariable] == nil else { return }
    guard let core = chooseOpenBLASCoreType(
        currentCore: openBLASCoreName(), cpuFlags: CPUFeatures.current().flags,
        userSetting: environment[openBLASCoreTypeVariable])
    else { return }
    setenv(openBLASCoreTypeVariable, core, 1)
    setenv(attnLabReexecGuardVariable, core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    let reason = String(cString: strerror(errno))
    // Leaving the variables set would make `attnlab env` claim a core that is not running.
    unsetenv(openBLASCoreTypeVariable)
    unsetenv(attnLabReexecGuardVariable)
    FileHandle.standardError.write(Data(
        "attnlab: warning: could not re-execute with \(openBLASCoreTypeVariable)=\(core) (\(reason)); continuing with OpenBLAS core \(openBLASCoreName()), which is much slower. Set \(openBLASCoreTypeVariable)=\(core) yourself to avoid this.\n".utf8))
}
