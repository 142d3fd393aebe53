import AttnLab
import Foundation
import Testing

/// A throwaway experiments folder; removed when the test's last reference goes.
final class ExperimentFolder {
    let url: URL

    init(_ files: [String: String]) throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("attnlab-experiments-\(UUID().uuidString)").standardizedFileURL
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name + ".toml"), atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func load(_ name: String, _ overrides: [String] = []) throws -> Experiment {
        try loadExperiment(name: name, directory: url, overrides: overrides)
    }

    /// The error text loading `name` throws; records an issue when it loads.
    func failure(_ name: String, _ overrides: [String] = []) -> String {
        do {
            _ = try load(name, overrides)
            Issue.record("\(name) loaded but should have been rejected")
            return ""
        } catch {
            return String(describing: error)
        }
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name + ".toml").path }
}

/// A bad config, the file (or `--set`) and key path its error must name, and other text the
/// message must contain (what was expected and what was found).
struct BadConfig: Sendable, CustomTestStringConvertible {
    let label: String
    var files: [String: String]
    var overrides: [String] = []
    var blamed = "bad"
    let keyPath: String
    let mentions: [String]

    var testDescription: String { label }

    init(_ label: String, _ bad: String, overrides: [String] = [], others: [String: String] = [:],
         blamed: String = "bad", keyPath: String, mentions: [String]) {
        self.label = label
        self.files = others.merging(["bad": bad]) { $1 }
        self.overrides = overrides
        self.blamed = blamed
        self.keyPath = keyPath
        self.mentions = mentions
    }
}

private let ok = "description = \"fine\"\n"

private let badConfigs: [BadConfig] = [
    BadConfig("unknown top-level key", ok + "descripton = \"x\"\n",
              keyPath: "descripton", mentions: ["unknown key", "accepts description, model"]),
    BadConfig("unknown nested key", ok + "[train]\nstpes = 3\n",
              keyPath: "train.stpes", mentions: ["unknown key", "[train] accepts steps, batch_size"]),
    BadConfig("unknown nested table", ok + "[model.attn]\nkind = \"mha\"\n",
              keyPath: "model.attn", mentions: ["unknown key", "attention"]),
    BadConfig("wrong type", ok + "[train]\nsteps = \"ten\"\n",
              keyPath: "train.steps", mentions: ["expected an integer in [1, 2147483648], found string \"ten\""]),
    BadConfig("negative steps", ok + "[train]\nsteps = -5\n",
              keyPath: "train.steps", mentions: ["expected an integer in [1, 2147483648], found -5"]),
    BadConfig("zero lr", ok + "[optimizer]\nlr = 0\n",
              keyPath: "optimizer.lr", mentions: ["expected a number > 0.0, found 0"]),
    BadConfig("beta1 of 1", ok + "[optimizer]\nbeta1 = 1.0\n",
              keyPath: "optimizer.beta1", mentions: ["expected a number in [0.0, 1.0), found 1.0"]),
    BadConfig("unknown attention kind", ok + "[model.attention]\nkind = \"mlx\"\n",
              keyPath: "model.attention.kind", mentions: ["expected one of mha, gqa, mqa, mla, gta, gla, found \"mlx\""]),
    BadConfig("unknown rope style", ok + "[model]\nrope_style = \"spiral\"\n",
              keyPath: "model.rope_style", mentions: ["expected one of half, interleaved, found \"spiral\""]),
    BadConfig("val_fraction out of range", ok + "[data]\nval_fraction = 0.7\n",
              keyPath: "data.val_fraction", mentions: ["expected a number in (0.0, 0.5], found 0.7"]),
    BadConfig("grad_accum zero", ok + "[train]\ngrad_accum = 0\n",
              keyPath: "train.grad_accum", mentions: ["expected an integer in [1, 1048576], found 0"]),
    BadConfig("seq_len above max_seq_len", ok + "[model]\nmax_seq_len = 64\n[data]\nseq_len = 128\n",
              keyPath: "data.seq_len", mentions: ["expected data.seq_len <= model.max_seq_len, found 128 > 64"]),
    BadConfig("too many MQAR pairs", ok + "[data.mqar]\nnum_kv_pairs = 20\n",
              keyPath: "data.mqar.num_kv_pairs", mentions: ["num_kv_pairs * 4 <= data.mqar.seq_len", "20 * 4 > 64"]),
    BadConfig("MQAR vocab not above seq_len", ok + "[data.mqar]\nvocab = 32\n",
              keyPath: "data.mqar.vocab", mentions: ["expected data.mqar.vocab > data.mqar.seq_len, found 32 <= 64"]),
    BadConfig("warmup longer than training", ok + "[train]\nsteps = 10\n[schedule]\nwarmup_steps = 20\n",
              keyPath: "schedule.warmup_steps", mentions: ["warmup_steps <= train.steps, found 20 > 10"]),
    BadConfig("file source without path", ok + "[data]\nsource = \"file\"\n",
              keyPath: "data.path", mentions: ["expected a file path", "found nothing"]),
    BadConfig("missing description", "[train]\nsteps = 5\n",
              keyPath: "description", mentions: ["expected a one-line string", "found nothing"]),
    BadConfig("multi-line description", "description = \"two\\nlines\"\n",
              keyPath: "description", mentions: ["expected a one-line string"]),
    BadConfig("cyclic base", ok + "base = \"loop\"\n", others: ["loop": ok + "base = \"bad\"\n"],
              blamed: "loop", keyPath: "base", mentions: ["cycle", "bad -> loop -> bad"]),
    BadConfig("missing base", ok + "base = \"nothere\"\n",
              keyPath: "base", mentions: ["available: bad", "found \"nothere\""]),
    BadConfig("bad value in a base file", ok + "base = \"parent\"\n",
              others: ["parent": ok + "[train]\nsteps = 0\n"],
              blamed: "parent", keyPath: "train.steps", mentions: ["found 0"]),
    BadConfig("bad --set syntax", ok, overrides: ["train.steps"],
              blamed: "--set", keyPath: "train.steps", mentions: ["expected KEY=VALUE"]),
    BadConfig("unknown key in --set", ok, overrides: ["train.stepz=3"],
              blamed: "--set", keyPath: "train.stepz", mentions: ["unknown key"]),
    BadConfig("bad value in --set", ok, overrides: ["model.attention.kind=mlx"],
              blamed: "--set", keyPath: "model.attention.kind", mentions: ["one of mha, gqa, mqa, mla, gta, gla, found \"mlx\""]),
    BadConfig("unknown key in grid", ok + "[grid]\n\"train.sed\" = [1, 2]\n",
              keyPath: "grid.train.sed", mentions: ["unknown key", "[train] accepts"]),
    BadConfig("grid value not an array", ok + "[grid]\n\"train.seed\" = 3\n",
              keyPath: "grid.train.seed", mentions: ["expected a non-empty array", "found 3"]),
    BadConfig("bad value in grid", ok + "[grid]\n\"train.seed\" = [1, -2]\n",
              keyPath: "grid.train.seed", mentions: ["expected an integer >= 0, found -2"]),
    BadConfig("unknown key in variant set", ok + "[[variants]]\nname = \"v\"\nset = { \"model.dmodel\" = 64 }\n",
              keyPath: "variants[0].set.model.dmodel", mentions: ["unknown key", "d_model"]),
    BadConfig("bad value in variant set", ok + "[[variants]]\nname = \"v\"\nset = { \"train.steps\" = 0 }\n",
              keyPath: "variants[0].set.train.steps", mentions: ["expected an integer in [1, 2147483648], found 0"]),
    BadConfig("unsafe variant name", ok + "[[variants]]\nname = \"a/b\"\n",
              keyPath: "variants[0].name", mentions: ["found \"a/b\""]),
    BadConfig("huge d_model", ok + "[model]\nd_model = 4611686018427387904\n",
              keyPath: "model.d_model", mentions: ["expected an integer in [1, 1048576], found 4611686018427387904"]),
    BadConfig("huge batch size", ok + "[train]\nbatch_size = 9223372036854775807\n",
              keyPath: "train.batch_size", mentions: ["found 9223372036854775807"]),
    BadConfig("huge MQAR pairs", ok + "[data.mqar]\nnum_kv_pairs = 4611686018427387904\n",
              keyPath: "data.mqar.num_kv_pairs", mentions: ["found 4611686018427387904"]),
    BadConfig("huge layer count in --set", ok, overrides: ["model.n_layers=9223372036854775807"],
              blamed: "--set", keyPath: "model.n_layers", mentions: ["expected an integer in [1, 1048576]"]),
    // NUL characters would cut strings short in TOMLKit (C strings): every way one can be written.
    BadConfig("NUL escape in a string", "description = \"before \\u0000 after\"\n",
              keyPath: "description", mentions: ["NUL characters are not allowed", "\\u0000 escape at line 1, column 23"]),
    BadConfig("long NUL escape in data.path", ok + "[data]\npath = \"x\\U00000000\"\n",
              keyPath: "data.path", mentions: ["NUL characters are not allowed", "\\U00000000 escape at line 3"]),
    BadConfig("NUL escape in a multi-line string", ok + "[data]\npath = \"\"\"\nx\\u0000\"\"\"\n",
              keyPath: "data.path", mentions: ["NUL characters are not allowed", "line 4, column 2"]),
    BadConfig("raw NUL byte in a string", ok + "[data]\npath = \"a\u{0}b\"\n",
              keyPath: "data.path", mentions: ["NUL characters are not allowed", "raw NUL byte at line 3"]),
    BadConfig("raw NUL byte outside strings", ok + "\u{0}[train]\nsteps = -1\n",
              keyPath: "line 2, column 1", mentions: ["NUL characters are not allowed", "raw NUL byte"]),
    BadConfig("NUL escape in a key", ok + "\"k\\u0000ey\" = 1\n",
              keyPath: "k\\u0000ey", mentions: ["NUL characters are not allowed in strings or keys"]),
    BadConfig("NUL escape in a variant", ok + "[[variants]]\nname = \"v\"\nset = { \"data.path\" = \"a\\u0000\" }\n",
              keyPath: "variants[0].set.data.path", mentions: ["NUL characters are not allowed"]),
    BadConfig("NUL escape in a base file", ok + "base = \"parent\"\n", others: ["parent": "description = \"p\\u0000\"\n"],
              blamed: "parent", keyPath: "description", mentions: ["NUL characters are not allowed"]),
    BadConfig("NUL escape in --set", ok, overrides: ["data.path=\"a\\u0000\""],
              blamed: "--set", keyPath: "data.path", mentions: ["NUL characters are not allowed", "\\u0000 escape"]),
    BadConfig("NUL escape in an array in --set", ok, overrides: ["data.path=[\"\\U00000000\"]"],
              blamed: "--set", keyPath: "data.path", mentions: ["NUL characters are not allowed"]),
    BadConfig("raw NUL byte in --set", ok, overrides: ["description=a\u{0}b"],
              blamed: "--set", keyPath: "description", mentions: ["NUL characters are not allowed", "raw NUL byte"]),
    BadConfig("TOML syntax error", ok + "[train\nsteps = 1\n",
              keyPath: "line 2", mentions: ["TOML syntax error"]),
    // toml++ 3 aborts the process on these table headers (an assertion in parse_key).
    BadConfig("triple bracket table header", ok + "[[[model.attention]\n",
              keyPath: "line 2, column 3", mentions: ["TOML syntax error", "found '['"]),
    BadConfig("table header starting with '='", ok + "  [ =a]\n",
              keyPath: "line 2, column 5", mentions: ["TOML syntax error", "found '='"]),
    BadConfig("array-of-tables header starting with '#'", ok + "[[#a]]\n",
              keyPath: "line 2, column 3", mentions: ["TOML syntax error", "found '#'"]),
    BadConfig("lone '[' at the end of a line", ok + "[\n",
              keyPath: "line 2, column 2", mentions: ["TOML syntax error", "found '\\n'"]),
    BadConfig("lone '[[ ' at the end of a CRLF line", ok + "[[ \r\n",
              keyPath: "line 2, column 4", mentions: ["TOML syntax error", "found '\\r'"]),
]

@Suite struct ExperimentConfigTests {
    @Test func inheritanceChainOverridesByKeyPath() throws {
        let folder = try ExperimentFolder([
            "grand": """
                description = "grand"
                [model]
                d_model = 64
                [model.attention]
                n_heads = 2
                kind = "gqa"
                [train]
                steps = 10
                """,
            "parent": """
                base = "grand"
                description = "parent"
                [model]
                d_model = 96
                [optimizer]
                lr = 0.002
                """,
            "child": """
                base = "parent"
                description = "child"
                train.steps = 30
                model.attention.kind = "mla"
                """,
        ])
        let experiment = try folder.load("child")
        #expect(experiment.description == "child")
        #expect(experiment.sourceFiles.map(\.lastPathComponent) == ["child.toml", "parent.toml", "grand.toml"])
        #expect(experiment.runs.map(\.name) == ["main"])
        let config = experiment.runs[0].config
        #expect(config.train.steps == 30)
        #expect(config.model.dModel == 96)
        #expect(config.model.attention.nHeads == 2, "tables merge: grand's n_heads survives")
        #expect(config.model.attention.kind == .mla)
        #expect(config.optimizer.lr == 0.002)
        #expect(config.train.batchSize == TrainConfig().batchSize, "untouched keys keep the defaults")
    }

    @Test func commandLineOverridesParseTOMLValuesAndBareWords() throws {
        let folder = try ExperimentFolder(["e": ok])
        let config = try folder.load("e", [
            "train.steps=70", "optimizer.lr=3e-4", "log.save_weights=false", "data.source=file",
            "data.path=corpus/x.txt", "model.attention.kind=gqa", "description=\"two words\"",
            "schedule.min_lr_ratio=0",
        ]).runs[0].config
        #expect(config.train.steps == 70)
        #expect(config.optimizer.lr == 3e-4)
        #expect(config.log.saveWeights == false)
        #expect(config.data.source == .file)
        #expect(config.data.path == "corpus/x.txt")
        #expect(config.data.resolvedPath(relativeTo: URL(fileURLWithPath: "/w"))?.path == "/w/corpus/x.txt")
        #expect(config.model.attention.kind == .gqa)
        #expect(config.description == "two words")
        #expect(config.schedule.minLRRatio == 0, "an integer is accepted where a float is expected")
    }

    @Test func variantsTimesGridGiveNamedRunsInOrder() throws {
        let folder = try ExperimentFolder(["g": ok + """
            [grid]
            "train.seed" = [1, 2, 3]
            optimizer.lr = [0.001, 0.002]
            [[variants]]
            name = "small"
            set = { "model.d_model" = 64, "model.attention.kind" = "mqa" }
            [[variants]]
            name = "mla"
            set = { model.attention.kind = "mla" }
            """])
        let runs = try folder.load("g").runs
        #expect(runs.count == 2 * 3 * 2)
        #expect(runs.prefix(3).map(\.name) == ["small-lr0.001-seed1", "small-lr0.001-seed2", "small-lr0.001-seed3"])
        #expect(runs.last?.name == "mla-lr0.002-seed3")
        #expect(Set(runs.map(\.name)).count == runs.count)
        let run = try #require(runs.first { $0.name == "small-lr0.002-seed2" })
        #expect(run.config.model.dModel == 64)
        #expect(run.config.model.attention.kind == .mqa)
        #expect(run.config.optimizer.lr == 0.002)
        #expect(run.config.train.seed == 2)
        #expect(runs.first { $0.name.hasPrefix("mla") }?.config.model.dModel == ModelConfig().dModel)

        let gridOnly = try ExperimentFolder(["s": ok + "[grid]\n\"train.seed\" = [1, 2]\n"]).load("s").runs
        #expect(gridOnly.map(\.name) == ["seed1", "seed2"])
    }

    @Test func setOverridesGridValuesInEveryRun() throws {
        let folder = try ExperimentFolder(["g": ok + "[grid]\n\"train.seed\" = [1, 2]\n\"train.steps\" = [50, 60]\n"])
        let runs = try folder.load("g", ["train.seed=9"]).runs
        #expect(runs.count == 4)
        #expect(runs.allSatisfy { $0.config.train.seed == 9 })
        #expect(runs.map(\.config.train.steps) == [50, 60, 50, 60], "grid keys without --set still vary")
        #expect(runs[0].name == "seed1-steps50")
    }

    @Test func resolvedTOMLRoundTrips() throws {
        let folder = try ExperimentFolder(["r": """
            description = "quotes \\" and \\\\ and tabs\\t stay"
            [model]
            rope_base = 500000
            norm_eps = 1e-6
            rope_style = "interleaved"
            tie_embeddings = false
            [model.attention]
            kind = "mla"
            query_compression = "always"
            [data]
            source = "tokens"
            path = "data/ü train.bin"
            token_format = "llmc"
            val_fraction = 0.05
            [optimizer]
            lr = 3e-4
            eps = 1e-10
            [grid]
            "train.seed" = [1, 2]
            """])
        let runs = try folder.load("r").runs
        for run in runs {
            let reread = try ExperimentConfig(resolvedTOML: run.resolvedTOML)
            #expect(reread == run.config)
            #expect(reread.canonicalTOML() == run.config.canonicalTOML())
        }
        #expect(runs[0].config.data.path == "data/ü train.bin")
        #expect(runs[0].config.model.ropeBase == 500000)
        // Every schema key is written, defaults included.
        #expect(runs[0].resolvedTOML.contains("decay_norms_and_biases = false"))
        #expect(runs[0].resolvedTOML.contains("[data.mqar]"))

        // The resolved text is itself a valid experiment with a single run.
        let again = try ExperimentFolder(["copy": runs[1].resolvedTOML]).load("copy")
        #expect(again.runs.map(\.name) == ["main"])
        #expect(again.runs[0].config == runs[1].config)
    }

    @Test func listIsSortedWithDescriptionsAndFlagsBrokenFiles() throws {
        let folder = try ExperimentFolder([
            "zeta": "description = \"last\"\n",
            "alpha": "description = \"first\"\n",
            "mid": "base = \"alpha\"\n",
            "broken": "description = \"b\"\n[train]\nsteps = 0\n",
        ])
        let list = try listExperiments(directory: folder.url)
        #expect(list.map(\.name) == ["alpha", "broken", "mid", "zeta"])
        #expect(list.map(\.description) == ["first", "", "first", "last"])
        #expect(list[1].problem?.contains("train.steps") == true)
        #expect(list.filter { $0.problem != nil }.count == 1)
    }

    @Test func missingExperimentNamesDirectoryAndAlternatives() throws {
        let folder = try ExperimentFolder(["one": ok, "two": ok])
        let message = folder.failure("three")
        #expect(message.contains(folder.url.path))
        #expect(message.contains("\"three\""))
        #expect(message.contains("available: one, two"))
    }

    @Test(arguments: badConfigs)
    func badConfigIsRejectedNamingFileKeyAndExpectation(_ bad: BadConfig) throws {
        let folder = try ExperimentFolder(bad.files)
        let message = folder.failure("bad", bad.overrides)
        let source = bad.blamed == "--set" ? "--set" : folder.path(bad.blamed)
        #expect(message.contains("\(source): \(bad.keyPath)"), "\(message)")
        for text in bad.mentions {
            #expect(message.contains(text), "\(message)")
        }
    }

    /// Only basic strings have escapes: `\u0000` in a literal string, a comment or after an
    /// escaped backslash is plain text and loads as written.
    @Test func nulEscapeLookalikesLoadAsText() throws {
        let folder = try ExperimentFolder([
            "lit": "description = 'a \\u0000 b'\n# \\u0000 in a comment\n[data]\npath = '''x\\U00000000'''\n",
            "esc": "description = \"a \\\\u0000 b\"\n",
        ])
        let lit = try folder.load("lit").runs[0].config
        #expect(lit.description == "a \\u0000 b" && lit.data.path == "x\\U00000000")
        #expect(try folder.load("esc").description == "a \\u0000 b")
        #expect(try folder.load("esc", ["data.path=a\\u0000"]).runs[0].config.data.path == "a\\u0000", "a bare word is literal")
    }

    @Test func shippedExperimentsLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory = root.appendingPathComponent("experiments")
        let quick = try loadExperiment(name: "quickstart", directory: directory, overrides: [])
        #expect(quick.runs.map(\.name) == ["mha", "gqa", "mqa", "mla", "gta", "gla"])
        #expect(quick.runs.map(\.config.model.attention.kind) == [.mha, .gqa, .mqa, .mla, .gta, .gla])
        #expect(quick.runs.allSatisfy { $0.config.data.source == .fortunes && $0.config.data.tokenizer == .byte })
        let tiny = try loadExperiment(name: "tiny", directory: directory, overrides: [])
        #expect(tiny.runs.map(\.name) == quick.runs.map(\.name), "tiny inherits the six variants")
        #expect(tiny.runs.allSatisfy {
            $0.config.model.dModel == 32 && $0.config.model.nLayers == 2 && $0.config.train.steps == 40
                && $0.config.data.seqLen == 32 && $0.config.eval.every == 20
        })
        #expect(tiny.sourceFiles.map(\.lastPathComponent) == ["tiny.toml", "quickstart.toml"])
        let names = try listExperiments(directory: directory).map(\.name)
        #expect(names.contains("quickstart") && names.contains("tiny"))
    }

    @Test func experimentsDirectoryPrefersOptionThenEnvironment() {
        let option = experimentsDirectory(option: "/a", environment: ["ATTNLAB_EXPERIMENTS": "/b"])
        let env = experimentsDirectory(option: nil, environment: ["ATTNLAB_EXPERIMENTS": "/b"])
        let fallback = experimentsDirectory(option: nil, environment: [:])
        #expect(option.path == "/a")
        #expect(env.path == "/b")
        #expect(fallback.lastPathComponent == "experiments")
    }
}
