//! `Fleet`: see the declaration's documentation (printed by `ktriage explain fleet`).

declare_correlation! {
    /// ## What it detects
    /// The same failure in several clusters: findings of the same cause for the same workload and
    /// container (pod-name hashes removed, so `api-7d9c5b6f4d-k2x8q` and `api-5f6b8c9d7-x2x9z` are one
    /// workload) in two or more of the clusters analyzed together.
    ///
    /// ## Why it crash-loops
    /// It does not add a cause: each cluster's findings say why the containers exit. A failure shared by
    /// clusters usually comes from what they share: an image, a chart version, a configuration pushed
    /// everywhere, an external service.
    ///
    /// ## Evidence
    /// - the findings it groups, by rank (`fleet[].finding_ranks` in JSON)
    /// - the clusters they come from and the number of pods
    ///
    /// ## Remedy
    /// Fix the shared origin once (the image, the chart values, the dependency) rather than cluster by
    /// cluster; the first finding of the group shows the evidence.
    ///
    /// ## Not covered
    /// It is part of the report, not a finding: `--select`/`--ignore` do not change it, and it appears
    /// only when the bundles of more than one cluster are analyzed (or merged) together.
    pub(crate) static FLEET = {
        cause: Fleet,
        summary: "the same workload or image fails the same way in several clusters",
        run: None,
    };
}
