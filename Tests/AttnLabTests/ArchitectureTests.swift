import Foundation
import Testing

/// The layering of ARCHITECTURE.md, checked by `scripts/check-layers.sh` on the real tree and
/// shown to fail on a tree with one upward reference.
@Suite struct ArchitectureTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func checkLayers(_ sources: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.repository.appendingPathComponent("scripts/check-layers.sh").path, sources]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func noFileNamesATypeFromAHigherLayer() throws {
        let r = try checkLayers(Self.repository.appendingPathComponent("Sources").path)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("no reference to a type of a higher layer"))
    }

    @Test func anUpwardReferenceIsReported() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("layers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Sources"), to: copy)
        let op = copy.appendingPathComponent("AttnLab/Ops/Matmul.swift")
        let text = try String(contentsOf: op, encoding: .utf8) + "\nfunc upward(_ m: DecoderLM<Float>) {}\n"
        try text.write(to: op, atomically: true, encoding: .utf8)
        let r = try checkLayers(copy.path)
        #expect(r.status == 1)
        #expect(r.output.contains("Matmul.swift") && r.output.contains("DecoderLM from layer 6 (AttnLab/Model)"))
    }
}
