import Foundation

/// Runs a command-line tool found on PATH (`sbatch`, `squeue`, `sacct`) with stdin from
/// /dev/null, and returns its exit status, standard output and standard error. Standard error
/// goes through a temporary file, so a tool writing much to both streams cannot block on a full pipe.
///
/// - Throws: `RunManifestError` when the tool cannot be started.
func runTool(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-\(tool)-\(UUID().uuidString).err")
    guard FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
        throw RunManifestError("cannot run \(tool): cannot create \(errURL.path)")
    }
    defer { try? FileManager.default.removeItem(at: errURL) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = try FileHandle(forWritingTo: errURL)
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch {
        throw RunManifestError("cannot run \(tool): \(error.localizedDescription)")
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let e = (try? Data(contentsOf: errURL)) ?? Data()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Whether `tool` is an executable on PATH.
func toolExists(_ tool: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
}
