import AttnLab
import Testing

@Suite struct CoreSelectionTests {
    static let skylakeXFlags: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
    static let haswellFlags: Set<String> = ["sse4_2", "avx", "avx2", "fma"]

    @Test(arguments: ["Prescott", "prescott", "Core2", "Nehalem", "Atom", "Barcelona", "Opteron", "Unknown", ""])
    func genericCoreOnAVX512CPUBecomesSkylakeX(core: String) {
        #expect(chooseOpenBLASCoreType(currentCore: core, cpuFlags: Self.skylakeXFlags, userSetting: nil) == "SkylakeX")
    }

    @Test func genericCoreOnAVX2CPUBecomesHaswell() {
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: Self.haswellFlags, userSetting: nil) == "Haswell")
        #expect(chooseOpenBLASCoreType(currentCore: "Sandybridge", cpuFlags: Self.haswellFlags, userSetting: nil) == "Haswell")
    }

    @Test func incompleteAVX512FallsBackToHaswell() {
        // avx512f alone (Knights Landing style) cannot run the SkylakeX kernels.
        let flags = Self.haswellFlags.union(["avx512f", "avx512cd"])
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: flags, userSetting: nil) == "Haswell")
    }

    @Test func avx2WithoutFMAKeepsTheLibraryChoice() {
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: ["avx", "avx2"], userSetting: nil) == nil)
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: [], userSetting: nil) == nil)
    }

    @Test(arguments: ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "Excavator", "SomeFutureCore"])
    func goodOrUnrecognisedCoreIsLeftAlone(core: String) {
        #expect(chooseOpenBLASCoreType(currentCore: core, cpuFlags: Self.skylakeXFlags, userSetting: nil) == nil)
    }

    @Test(arguments: ["Prescott", "Haswell", "nonsense"])
    func userSettingIsNeverOverridden(setting: String) {
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: Self.skylakeXFlags, userSetting: setting) == nil)
    }

    @Test func emptyUserSettingCountsAsUnset() {
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: Self.skylakeXFlags, userSetting: "") == "SkylakeX")
    }

    @Test func originTellsAttnLabsChoiceFromTheUsers() {
        #expect(coreTypeOrigin(environment: [:]) == .libraryDefault)
        #expect(coreTypeOrigin(environment: ["OPENBLAS_CORETYPE": ""]) == .libraryDefault)
        #expect(coreTypeOrigin(environment: ["OPENBLAS_CORETYPE": "Haswell"]) == .user)
        #expect(coreTypeOrigin(environment: ["OPENBLAS_CORETYPE": "SkylakeX", "ATTNLAB_BLAS_REEXEC": "SkylakeX"]) == .autoSelected)
        // A user who re-sets the variable in a child process of an auto-selected run wins.
        #expect(coreTypeOrigin(environment: ["OPENBLAS_CORETYPE": "Haswell", "ATTNLAB_BLAS_REEXEC": "SkylakeX"]) == .user)
    }

    @Test func parsesModelAndFlagsFromCpuinfo() {
        let sample = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: AMD EPYC 9R14
            flags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16
            bugs\t\t: sysret_ss_attrs

            processor\t: 1
            model name\t: AMD EPYC 9R14
            flags\t\t: fpu sse2
            """
        let cpu = CPUFeatures.parse(cpuinfo: sample)
        #expect(cpu.modelName == "AMD EPYC 9R14")
        #expect(cpu.flags == ["fpu", "sse2", "avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_bf16"])
        #expect(chooseOpenBLASCoreType(currentCore: "Prescott", cpuFlags: cpu.flags, userSetting: nil) == "SkylakeX")
    }

    @Test func cpuinfoWithoutFlagsGivesNoFlags() {
        let cpu = CPUFeatures.parse(cpuinfo: "processor\t: 0\nmodel name\t: Mystery\n")
        #expect(cpu.modelName == "Mystery")
        #expect(cpu.flags.isEmpty)
        #expect(CPUFeatures.parse(cpuinfo: "").modelName == nil)
    }

    @Test func sgemmMeasurementReportsConsistentRates() throws {
        let result = try measureSgemmThroughput(size: 64, warmups: 1, repetitions: 5)
        #expect(result.size == 64 && result.repetitions == 5)
        #expect(result.threads >= 1)
        #expect(result.bestGFLOPS.isFinite && result.bestGFLOPS > 0)
        #expect(result.medianGFLOPS > 0 && result.medianGFLOPS <= result.bestGFLOPS)
        #expect(throws: GemmBenchmarkError.self) { try measureSgemmThroughput(size: 0) }
    }
}
