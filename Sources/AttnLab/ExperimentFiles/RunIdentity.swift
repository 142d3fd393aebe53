extension ExperimentConfig {
    /// This config with what does not make it another run set to fixed values, so that two
    /// configs with equal `runIdentity` describe the same run:
    ///
    /// - `train.threads` (0): where a run executes chooses it (`attnlab sweep --jobs`, Slurm's
    ///   `SLURM_CPUS_PER_TASK`); a run is a function of its config, seed and thread count, and the
    ///   thread count changes only the order of floating-point sums, not the experiment.
    /// - `model.attention.latent_norm_eps` (0) for kinds without a KV latent (MHA, GQA, MQA, GTA),
    ///   which use no latent norm; files stored before the key existed read it as `model.norm_eps`.
    ///
    /// Used by every comparison of configs: the sweep's plan (`sameRunConfig`), run manifests'
    /// hashes (`RunManifest.configHash`) and the reports' grouping of runs into variants
    /// (`VariantGrouping`), so the three can never disagree about which files are the same run.
    public var runIdentity: ExperimentConfig {
        var c = self
        c.train.threads = 0
        if !c.model.attention.kind.hasKVLatent { c.model.attention.latentNormEps = 0 }
        return c
    }
}
