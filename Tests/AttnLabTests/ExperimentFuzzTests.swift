import AttnLab
import Foundation
import Testing

/// Seeded mutation fuzzing of the shipped experiment files and of `--set` values: whatever the
/// mutation, loading, expanding and validating an experiment (and sizing its runs) either
/// succeeds or throws an error that names the file (or `--set`); it never traps or hangs.
@Suite struct ExperimentFuzzTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("experiments")

    /// Replacement values: huge, negative, zero, non-finite, fractional, wrong types, odd strings
    /// and NUL escapes, all as TOML source text.
    static let values = [
        "9223372036854775807", "4611686018427387904", "-9223372036854775808", "99999999999999999999", "1e308",
        "-1", "-4611686018427387904", "0", "0.0", "-0.0", "nan", "inf", "-inf", "0.5", "1.5e-300", "3",
        "\"text\"", "\"\"", "true", "[]", "[1, 2]", "{}", "\"a\\u0000b\"", "\"\\U00000000\"", "'\\u0000'",
        "\"two\\nlines\"", "\"../../x\"", "\"mla\"", "\"é\"", "1979-05-27", "\"\"\"x\\u0000\"\"\"",
    ]

    /// Whole lines to insert: tables, keys and structures in odd places.
    static let snippets = [
        "[grid]", "\"\" = [1]", "\"train.seed\" = [1, 1]", "\"train.seed\" = []", "[[variants]]", "name = \"x\"",
        "set = { \"model.d_model\" = 4611686018427387904 }", "set = { \"\" = 1 }", "base = \"quickstart\"",
        "base = \"tiny\"", "base = \"\"", "[model.attention.kind]", "a.b.c.d = 1", "\"\" = 1", "[\"\"]", "[model]",
        "d_model = 1048576", "n_layers = 1048576", "vocab_size = 1048576", "[train]", "batch_size = 1048576",
        "\"grid.model.d_model\" = [1048576]", "variants = 3", "grid = 3", "[data.mqar]", "train_examples = 16777216",
        "[[[model.attention]", "[=a]", "[.a]", "[[ {a}]]",
    ]

    /// Integers at and beyond the limits, drawn more often for `--set`.
    static let extremes = ["9223372036854775807", "4611686018427387904", "1048576", "1048577", "2147483648", "16777216", "-1", "0"]

    /// `--set` values: the above plus bare words.
    static let overrideValues = values + ["gqa", "data/x.bin", "a\\u0000", "=", "\"unterminated", "[1,", "x\u{0}y"]

    struct Mutator {
        var rng: SeededRandom

        mutating func pick<T>(_ items: [T]) -> T { items[rng.below(items.count)] }

        /// One random edit of `text`: line deletion, duplication or swap, a number or string
        /// replaced, a NUL escape or byte inserted, or truncation.
        mutating func mutate(_ text: String) -> String {
            var lines = text.components(separatedBy: "\n")
            let i = rng.below(lines.count), j = rng.below(lines.count)
            switch rng.below(9) {
            case 7: lines.insert(pick(ExperimentFuzzTests.snippets), at: j)
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[i], at: j)
            case 2: lines.swapAt(i, j)
            case 3: edit(&lines, containing: "0123456789") { $0.replacing(in: $1, pattern: "-?[0-9][0-9_.eE+-]*", with: $0.pick(ExperimentFuzzTests.values)) }
            case 4: edit(&lines, containing: "\"") { $0.replacing(in: $1, pattern: "\"[^\"]*\"", with: $0.pick(ExperimentFuzzTests.values)) }
            case 5: edit(&lines, containing: "\"") { $0.insert($0.pick(["\\u0000", "\\U00000000"]), into: $1, after: "\"") }
            case 6: lines[i] = insert("\u{0}", into: lines[i], after: nil)
            default:
                let cut = rng.below(text.unicodeScalars.count + 1)
                return String(String.UnicodeScalarView(text.unicodeScalars.prefix(cut)))
            }
            return lines.joined(separator: "\n")
        }

        /// Applies `change` to a random line holding one of `characters` (any line if none does).
        mutating func edit(_ lines: inout [String], containing characters: String, _ change: (inout Mutator, String) -> String) {
            let candidates = lines.indices.filter { lines[$0].contains { characters.contains($0) } }
            let i = candidates.isEmpty ? rng.below(lines.count) : pick(candidates)
            lines[i] = change(&self, lines[i])
        }

        /// `line` with one random match of `pattern` replaced (unchanged when there is none).
        mutating func replacing(in line: String, pattern: String, with value: String) -> String {
            let regex = try! NSRegularExpression(pattern: pattern)
            let matches = regex.matches(in: line, range: NSRange(line.startIndex..., in: line))
            guard !matches.isEmpty, let range = Range(pick(matches).range, in: line) else { return line }
            return line.replacingCharacters(in: range, with: value)
        }

        /// `text` inserted after a random occurrence of `marker` (anywhere when nil).
        mutating func insert(_ text: String, into line: String, after marker: Character?) -> String {
            let positions = line.indices.filter { marker == nil || line[$0] == marker }.map { line.index(after: $0) }
            guard !positions.isEmpty else { return line + text }
            var out = line
            out.insert(contentsOf: text, at: pick(positions))
            return out
        }
    }

    /// Loads `name` and touches every size figure of every run: nil, or the error's text.
    static func loadAndSize(_ name: String, in directory: URL, overrides: [String]) -> String? {
        do {
            let experiment = try loadExperiment(name: name, directory: directory, overrides: overrides)
            for run in experiment.runs {
                let model = run.config.model
                _ = (model.parameterCount, model.inferenceParameterCount, model.nonEmbeddingParameterCount, model.kvElementsPerToken)
                _ = model.trainingFLOPsPerToken(context: run.config.data.seqLen)
                _ = MemoryEstimate(run.config).summary
            }
            if let first = experiment.runs.first { _ = try ExperimentConfig(resolvedTOML: first.resolvedTOML) }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// A fixed number of cases from a fixed seed, not a time budget: the same cases run on a
    /// loaded CI machine as on a quiet one. A failure prints its case number and the mutated file.
    static let caseCount = 500

    @Test(.timeLimit(.minutes(3)))
    func mutatedExperimentsLoadOrFailNamingTheFile() throws {
        let folder = try ExperimentFolder([:])
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.shipped.path)
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        var originals: [String: String] = [:]
        for name in names {
            let text = try String(contentsOf: Self.shipped.appendingPathComponent(name + ".toml"), encoding: .utf8)
            originals[name] = text
            try text.write(toFile: folder.path(name), atomically: false, encoding: .utf8)
        }
        #expect(names.contains("quickstart") && names.contains("tiny"))
        var mutator = Mutator(rng: SeededRandom(seed: 20_240_601))
        let keys = ExperimentConfig().canonicalTOML().split(separator: "\n").reduce(into: (table: "", keys: [String]())) { acc, line in
            if line.hasPrefix("[") { acc.table = String(line.dropFirst().dropLast()) }
            else if let eq = line.firstIndex(of: "=") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces)
                acc.keys.append(acc.table.isEmpty ? key : acc.table + "." + key)
            }
        }.keys
        var (loaded, rejected, cases) = (0, 0, 0)
        for n in 0..<Self.caseCount {
            cases += 1
            let name = mutator.pick(names)
            var text = originals[name]!
            // A third of the cases leave the file alone so that `--set` values reach the checks
            // behind a clean file (cross-checks, model validation, sizes).
            for _ in 0..<mutator.rng.below(3) { text = mutator.mutate(text) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder.path(name)))
            var overrides: [String] = []
            for _ in 0..<mutator.rng.below(3) {
                let value = mutator.pick(mutator.rng.below(2) == 0 ? Self.overrideValues : Self.extremes)
                overrides.append(mutator.pick(keys) + "=" + value)
            }
            // The mutated file itself, and sometimes an experiment that may inherit from it.
            let other = mutator.pick(names)
            for target in mutator.rng.below(4) == 0 ? [name, other] : [name] {
                if let message = Self.loadAndSize(target, in: folder.url, overrides: overrides) {
                    rejected += 1
                    #expect(message.contains(folder.url.path + "/") || message.contains("--set"),
                            "case \(n): \(target) after mutating \(name) (--set \(overrides)): \(message)\n--- \(name).toml:\n\(text)")
                } else {
                    loaded += 1
                }
            }
            try originals[name]!.write(toFile: folder.path(name), atomically: false, encoding: .utf8)
        }
        // Enough cases, and both outcomes exercised, or the mutations are not testing anything.
        #expect(loaded > 50 && rejected > 50, "loaded \(loaded), rejected \(rejected)")
        print("experiment fuzz: \(cases) cases, \(loaded) loads succeeded, \(rejected) rejected")
    }
}
