import AttnLab
import Foundation
import Testing

/// A fresh directory per test, removed afterwards, so tests can run in parallel.
private final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("attnlab-hdf5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs `body`, expecting an HDF5Error, and returns it for inspection.
private func expectHDF5Error(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> HDF5Error? {
    do {
        try body()
        Issue.record("expected an HDF5Error", sourceLocation: sourceLocation)
    } catch let error as HDF5Error {
        return error
    } catch {
        Issue.record("expected an HDF5Error, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The layout a training run creates before starting SWMR writing.
private func layOutRun(_ file: HDF5File) throws {
    let root = file.root
    try root.setAttribute("model", .string("decoder-2L ✓"))
    try root.createAppendableDataset("train/loss", of: Double.self)
    try root.createAppendableDataset("train/step", of: Int64.self)
    try root.createDataset("checkpoint/layers.0.attn.q_proj.weight", of: Float.self, shape: [4, 3])
    try root.createStringDataset("status", byteCapacity: 32, value: "created")
}

private func appendBatches(_ file: HDF5File, batches: Int, perBatch: Int, firstStep: Int = 0) throws {
    let loss = try file.root.appendableDataset("train/loss", of: Double.self)
    let step = try file.root.appendableDataset("train/step", of: Int64.self)
    for batch in 0..<batches {
        let steps = (0..<perBatch).map { firstStep + batch * perBatch + $0 }
        try loss.append(steps.map { 1.0 / Double($0 + 1) })
        try step.append(steps.map { Int64($0) })
        try file.root.stringDataset("status").write("running \(batch)")
        try file.flush()
    }
}

private func expectFlushedRun(_ file: HDF5File, steps: Int, status: String) throws {
    #expect(try file.root.stringAttribute("model") == "decoder-2L ✓")
    #expect(try file.root.appendableDataset("train/loss", of: Double.self).readAll()
        == (0..<steps).map { 1.0 / Double($0 + 1) })
    #expect(try file.root.appendableDataset("train/step", of: Int64.self).readAll() == (0..<steps).map { Int64($0) })
    #expect(try file.root.stringDataset("status").read() == status)
}

@Suite struct HDF5Tests {
    @Test func attributesRoundTripOnRootGroupsAndDatasets() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("attributes.h5")
        let values: [String: HDF5AttributeValue] = [
            "name": .string("tiny-lm — α"), "empty": .string(""), "layers": .int(-3),
            "lr": .double(3e-4), "shape": .ints([2, 64, 128]), "betas": .doubles([0.9, 0.95]),
            "single": .ints([7]), "none": .doubles([]),
        ]
        do {
            let file = try HDF5File.create(path: path)
            let group = try file.root.createGroup("config")
            let dataset = try group.createDataset("w", of: Float.self, shape: [2])
            for (name, value) in values {
                try file.root.setAttribute(name, value)
                try group.setAttribute(name, value)
                try dataset.setAttribute(name, value)
            }
            try group.setAttribute("layers", .int(12))
            try file.close()
        }
        let file = try HDF5File.open(path: path)
        let objects: [any HDF5Object] = [file.root, try file.root.group("config"), try file.root.dataset("config/w")]
        for object in objects {
            #expect(try object.attributeNames() == values.keys.sorted())
            for (name, value) in values where !(object.path == "/config" && name == "layers") {
                #expect(try object.attribute(name) == value)
            }
        }
        let config = try file.root.group("config")
        #expect(try config.intAttribute("layers") == 12)
        #expect(try file.root.stringAttribute("name") == "tiny-lm — α")
        #expect(try file.root.doubleAttribute("lr") == 3e-4)
        #expect(try file.root.intsAttribute("single") == [7])
        #expect(try file.root.doublesAttribute("betas") == [0.9, 0.95])
        #expect(try file.root.hasAttribute("lr"))
        #expect(try !file.root.hasAttribute("missing"))
        let mismatch = expectHDF5Error { _ = try file.root.intAttribute("name") }
        #expect(mismatch?.operation == "read attribute 'name'")
        let missing = expectHDF5Error { _ = try config.attribute("missing") }
        #expect(missing?.objectPath == "/config")
        #expect(missing?.filePath == path)
    }

    @Test func numericDatasetsRoundTripEveryTypeAndShape() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("datasets.h5")
        let shapes: [[Int]] = [[], [5], [2, 3], [2, 3, 4]]
        func values<T>(_ count: Int, _ make: (Int) -> T) -> [T] { (0..<count).map(make) }
        do {
            let root = try HDF5File.create(path: path).root
            for shape in shapes {
                let n = shape.reduce(1, *)
                let name = "rank\(shape.count)"
                try root.writeDataset("f32/\(name)", HDF5Array(shape: shape, values: values(n) { Float($0) * 0.5 - 1 }))
                try root.writeDataset("f64/\(name)", HDF5Array(shape: shape, values: values(n) { Double($0) / 3 }))
                try root.writeDataset("i32/\(name)", HDF5Array(shape: shape, values: values(n) { Int32($0) - 7 }))
                try root.writeDataset("i64/\(name)", HDF5Array(shape: shape, values: values(n) { Int64($0) << 40 }))
                try root.writeDataset("u16/\(name)", HDF5Array(shape: shape, values: values(n) { UInt16(65535 - $0) }))
            }
            try root.file.close()
        }
        let root = try HDF5File.open(path: path).root
        for shape in shapes {
            let n = shape.reduce(1, *)
            let name = "rank\(shape.count)"
            #expect(try root.dataset("f32/\(name)").read(as: Float.self)
                == HDF5Array(shape: shape, values: values(n) { Float($0) * 0.5 - 1 }))
            #expect(try root.dataset("f64/\(name)").read(as: Double.self)
                == HDF5Array(shape: shape, values: values(n) { Double($0) / 3 }))
            #expect(try root.dataset("i32/\(name)").read(as: Int32.self)
                == HDF5Array(shape: shape, values: values(n) { Int32($0) - 7 }))
            #expect(try root.dataset("i64/\(name)").read(as: Int64.self)
                == HDF5Array(shape: shape, values: values(n) { Int64($0) << 40 }))
            #expect(try root.dataset("u16/\(name)").read(as: UInt16.self)
                == HDF5Array(shape: shape, values: values(n) { UInt16(65535 - $0) }))
            #expect(try root.dataset("i64/\(name)").shape() == shape)
        }
        #expect(try root.dataset("f32/rank2").elementType() == .float32)
        #expect(try root.dataset("u16/rank1").elementType() == .uint16)
        #expect(try root.dataset("f64/rank1").read(as: Float.self).values == [0, 1, 2, 3, 4].map { Float($0) / 3 })
    }

    @Test func checkpointDatasetsStartZeroedAndOverwriteInPlace() throws {
        let scratch = try ScratchDirectory()
        let file = try HDF5File.create(path: scratch.path("checkpoint.h5"))
        let weight = try file.root.createDataset("/checkpoint/layers.0.attn.q_proj.weight", of: Float.self, shape: [2, 2])
        #expect(try weight.read(as: Float.self).values == [0, 0, 0, 0])
        try weight.overwrite([1, 2, 3, 4] as [Float])
        try weight.overwrite([5, 6, 7, 8] as [Float])
        #expect(try weight.read(as: Float.self) == HDF5Array(shape: [2, 2], values: [5, 6, 7, 8]))
        let wrongCount = expectHDF5Error { try weight.overwrite([1, 2, 3] as [Float]) }
        #expect(wrongCount?.objectPath == "/checkpoint/layers.0.attn.q_proj.weight")
        #expect(wrongCount?.operation == "overwrite dataset")
        #expect(try file.root.group("checkpoint").childNames() == ["layers.0.attn.q_proj.weight"])
    }

    @Test func nestedGroupsAreCreatedListedAndChecked() throws {
        let scratch = try ScratchDirectory()
        let file = try HDF5File.create(path: scratch.path("groups.h5"))
        let train = try file.root.createGroup("train")
        try train.createGroup("curves/smoothed")
        try file.root.createGroup("/eval")
        try train.createDataset("lr", of: Double.self, shape: [3])
        #expect(try file.root.childNames() == ["eval", "train"])
        #expect(try train.childNames() == ["curves", "lr"])
        #expect(try file.root.group("train/curves").childNames() == ["smoothed"])
        #expect(try file.root.group("train/curves/smoothed").path == "/train/curves/smoothed")
        #expect(try file.root.contains("train/curves/smoothed"))
        #expect(try train.contains("/eval"))
        #expect(try !file.root.contains("train/missing/deeper"))
        #expect(try !file.root.contains("train/lr/inside"))
        let duplicate = expectHDF5Error { try file.root.createGroup("train") }
        #expect(duplicate?.reason.contains("already exists") == true)
        let notGroup = expectHDF5Error { _ = try file.root.group("train/lr") }
        #expect(notGroup?.objectPath == "/train/lr")
        let notDataset = expectHDF5Error { _ = try file.root.dataset("train") }
        #expect(notDataset?.operation == "open dataset")
    }

    @Test func fixedLengthStatusStringOverwritesAndRejectsOverlongValues() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("status.h5")
        do {
            let file = try HDF5File.create(path: path)
            let status = try file.root.createStringDataset("status", byteCapacity: 32, value: "created")
            #expect(try status.read() == "created")
            try status.write("step 1000 — loss 2.1")
            try status.write("done")
            let tooLong = expectHDF5Error { try status.write(String(repeating: "x", count: 33)) }
            #expect(tooLong?.objectPath == "/status")
            #expect(try status.read() == "done")
            try status.write(String(repeating: "y", count: 32))
            try status.write("ok")
            try file.close()
        }
        let status = try HDF5File.open(path: path).root.stringDataset("status")
        #expect(status.byteCapacity == 32)
        #expect(try status.read() == "ok")
    }

    @Test func appendableCurvesGrowAcrossBatches() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("curves.h5")
        do {
            let file = try HDF5File.create(path: path)
            // The dataset is released before the file is closed: an HDF5 file closes only when
            // its last open object does, and a reopen while it is still open can fail on the
            // file lock (seen once in CI, errno 11).
            try {
                let loss = try file.root.createAppendableDataset("train/loss", of: Double.self, chunkLength: 4)
                #expect(try loss.count() == 0)
                #expect(try loss.readAll() == [])
                try loss.append([1.5, 1.25, 1.0])
                try loss.append([])
                try loss.append([0.75, 0.5, 0.25, 0.125, 0.0625])
                #expect(try loss.count() == 8)
            }()
            try file.close()
        }
        let file = try HDF5File.open(path: path, mode: .readWrite)
        let loss = try file.root.appendableDataset("train/loss", of: Double.self)
        try loss.append([0.03125])
        #expect(try loss.readAll() == [1.5, 1.25, 1.0, 0.75, 0.5, 0.25, 0.125, 0.0625, 0.03125])
        #expect(try file.root.dataset("train/loss").shape() == [9])
        try file.root.createDataset("fixed", of: Double.self, shape: [3])
        let notExtendable = expectHDF5Error { _ = try file.root.appendableDataset("fixed", of: Double.self) }
        #expect(notExtendable?.objectPath == "/fixed")
    }

    @Test func creatingOverAnExistingFileNeedsExplicitOverwrite() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("run.h5")
        try HDF5File.create(path: path).root.setAttribute("run", .int(1))
        let refused = expectHDF5Error { _ = try HDF5File.create(path: path) }
        #expect(refused?.filePath == path)
        #expect(refused?.operation == "create file")
        #expect(refused?.description.contains(path) == true)
        #expect(try HDF5File.open(path: path).root.intAttribute("run") == 1)
        let replaced = try HDF5File.create(path: path, overwrite: true)
        #expect(try replaced.root.attributeNames() == [])
    }

    @Test func missingFilesAndObjectsAreNamedInErrors() throws {
        let scratch = try ScratchDirectory()
        let missingFile = scratch.path("absent.h5")
        let openError = expectHDF5Error { _ = try HDF5File.open(path: missingFile) }
        #expect(openError?.filePath == missingFile)
        #expect(openError?.description.contains(missingFile) == true)

        let path = scratch.path("present.h5")
        let file = try HDF5File.create(path: path)
        try file.root.createGroup("train")
        let readError = expectHDF5Error { _ = try file.root.dataset("train/loss").read(as: Double.self) }
        #expect(readError?.objectPath == "/train/loss")
        #expect(readError?.filePath == path)
        #expect(readError?.description.contains("/train/loss") == true)

        try file.close()
        let closed = expectHDF5Error { _ = try file.root.childNames() }
        #expect(closed?.reason == "the file is closed")
        let readOnly = try HDF5File.open(path: path)
        let writeError = expectHDF5Error { try readOnly.root.createGroup("eval") }
        #expect(writeError?.reason == "the file is open read-only")
    }

    /// The reader here shares the writer's in-process HDF5 file state, so it checks the API
    /// flow (refresh, read-only guards); on-disk visibility is what the copy test below checks.
    @Test func swmrWriterAppendsWhileAReaderFollows() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("swmr.h5")
        let writer = try HDF5File.create(path: path)
        try layOutRun(writer)
        try writer.startSWMRWrite()

        let frozen = expectHDF5Error { try writer.root.createGroup("late") }
        #expect(frozen?.reason.contains("SWMR") == true)
        let frozenAttribute = expectHDF5Error { try writer.root.setAttribute("late", .int(1)) }
        #expect(frozenAttribute?.objectPath == "/")

        try appendBatches(writer, batches: 3, perBatch: 5)
        try writer.root.dataset("checkpoint/layers.0.attn.q_proj.weight").overwrite((0..<12).map { Float($0) })
        try writer.flush()

        let reader = try HDF5File.open(path: path, mode: .swmrRead)
        try expectFlushedRun(reader, steps: 15, status: "running 2")
        try appendBatches(writer, batches: 1, perBatch: 5, firstStep: 15)
        #expect(try reader.root.appendableDataset("train/loss", of: Double.self).count() == 15 + 5)
        let readerWrite = expectHDF5Error { try reader.root.stringDataset("status").write("x") }
        #expect(readerWrite?.reason == "the file is open read-only")
        try reader.close()

        try writer.root.stringDataset("status").write("finished")
        try writer.close()
        let reopened = try HDF5File.open(path: path)
        try expectFlushedRun(reopened, steps: 20, status: "finished")
        #expect(try reopened.root.dataset("checkpoint/layers.0.attn.q_proj.weight").read(as: Float.self)
            == HDF5Array(shape: [4, 3], values: (0..<12).map { Float($0) }))
    }

    /// A SIGKILLed writer leaves exactly the bytes on disk at the moment of death: the kernel
    /// keeps what was written, nothing more is flushed. Swift tests cannot safely fork, and
    /// spawning a writer process would need a second executable, so this test reproduces
    /// that state directly: it flushes under SWMR, keeps the writer open (no close, no final
    /// metadata write), and copies the file's bytes. The copy is what a kill would leave.
    @Test func fileCopiedFromALiveSWMRWriterHoldsAllFlushedData() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("live.h5")
        let crashed = scratch.path("as-if-killed.h5")
        let writer = try HDF5File.create(path: path)
        try layOutRun(writer)
        try writer.startSWMRWrite()
        try appendBatches(writer, batches: 4, perBatch: 3)
        try FileManager.default.copyItem(atPath: path, toPath: crashed)
        #expect(writer.isOpen)

        for mode in [HDF5File.Mode.readOnly, .swmrRead] {
            let survivor = try HDF5File.open(path: crashed, mode: mode)
            #expect(survivor.mode == .swmrRead)
            try expectFlushedRun(survivor, steps: 12, status: "running 3")
            #expect(try survivor.root.dataset("checkpoint/layers.0.attn.q_proj.weight").shape() == [4, 3])
            try survivor.close()
        }
        try writer.close()
    }

    @Test func h5dumpReadsAWrittenFileWhenInstalled() throws {
        let h5dump = "/usr/bin/h5dump"
        guard FileManager.default.isExecutableFile(atPath: h5dump) else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.path("dump.h5")
        let file = try HDF5File.create(path: path)
        try layOutRun(file)
        try file.root.appendableDataset("train/loss", of: Double.self).append([0.5, 0.25])
        try file.close()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: h5dump)
        process.arguments = ["-H", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("DATASET \"loss\""))
        #expect(text.contains("DATASET \"status\""))
    }
}
