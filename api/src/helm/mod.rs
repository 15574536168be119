//! `helm.toolkit.fluxcd.io/v2`: the HelmRelease applier.

pub mod helm_release;

pub use helm_release::{
    CRDsPolicy, ChartNameChangeStrategy, ChartRefKind, ChartSourceReference,
    ChartTemplateSourceKind, ChartTemplateSourceReference, DeletionPropagation, DriftDetection,
    DriftDetectionMode, HelmChartTemplate, HelmChartTemplateObjectMeta, HelmChartTemplateSpec,
    HelmChartTemplateVerification, HelmRelease, HelmReleaseSpec, HelmReleaseStatus, Install,
    InstallRemediation, Kustomize, PostRenderStrategy, PostRenderer, ReleaseAction,
    RemediationStrategy, Rollback, ServerSideApplyMode, Snapshot, Strategy, StrategyName, Test,
    TestFilter, TestHookStatus, Uninstall, Upgrade, UpgradeRemediation, WaitStrategy,
    WaitStrategyName, shorten_release_name,
};
