//! Every name Flux users and tools match on, spelled once.
//!
//! Condition types, reasons, annotations, labels, groups and kinds keep Flux's
//! exact spelling: `flux get`, kstatus, alerting rules and dashboards compare
//! them as plain strings, so a typo here is a wire incompatibility.

/// The finalizer every Flux kind carries while its controller owns cleanup.
pub const FINALIZER: &str = "finalizers.fluxcd.io";

/// Longest condition message Flux writes; longer ones are cut by
/// [`crate::conditions::trim_message`].
pub const MAX_CONDITION_MESSAGE_LENGTH: usize = 20_000;

/// Condition types (`status.conditions[].type`).
pub mod condition {
    /// Whether the object is reconciled to its desired state; on every kind.
    pub const READY: &str = "Ready";
    /// Abnormal-true: present (True) only while a reconciliation is under way.
    pub const RECONCILING: &str = "Reconciling";
    /// Abnormal-true: present (True) only when reconciliation cannot progress
    /// without a spec change.
    pub const STALLED: &str = "Stalled";
    /// Result of the Kustomization health assessment.
    pub const HEALTHY: &str = "Healthy";

    /// Source: the artifact is stored and served.
    pub const ARTIFACT_IN_STORAGE: &str = "ArtifactInStorage";
    /// Source, abnormal-true: the stored artifact no longer matches upstream.
    pub const ARTIFACT_OUTDATED: &str = "ArtifactOutdated";
    /// Source: result of signature verification; present only when enabled.
    pub const SOURCE_VERIFIED: &str = "SourceVerified";
    /// Source, abnormal-true: fetching from upstream failed.
    pub const FETCH_FAILED: &str = "FetchFailed";
    /// Source, abnormal-true: building the artifact failed.
    pub const BUILD_FAILED: &str = "BuildFailed";
    /// Source, abnormal-true: a storage operation failed.
    pub const STORAGE_OPERATION_FAILED: &str = "StorageOperationFailed";
    /// GitRepository, abnormal-true: an included repository is unavailable.
    pub const INCLUDE_UNAVAILABLE: &str = "IncludeUnavailable";

    /// HelmRelease: result of the last install/upgrade/test attempt.
    pub const RELEASED: &str = "Released";
    /// HelmRelease: result of the last Helm test run.
    pub const TEST_SUCCESS: &str = "TestSuccess";
    /// HelmRelease: result of the last remediation (rollback/uninstall).
    pub const REMEDIATED: &str = "Remediated";
    /// HelmRelease: the cluster state drifted from the release manifest.
    pub const DRIFTED: &str = "Drifted";

    /// The types Flux treats as abnormal-true: they only exist while True.
    pub const ABNORMAL_TRUE: &[&str] = &[
        RECONCILING,
        STALLED,
        ARTIFACT_OUTDATED,
        FETCH_FAILED,
        BUILD_FAILED,
        STORAGE_OPERATION_FAILED,
        INCLUDE_UNAVAILABLE,
    ];
}

/// Condition status values.
pub mod status {
    /// The condition holds.
    pub const TRUE: &str = "True";
    /// The condition does not hold.
    pub const FALSE: &str = "False";
    /// The controller cannot tell yet.
    pub const UNKNOWN: &str = "Unknown";
}

/// Condition reasons; as Flux, the Ready reason doubles as the event reason.
pub mod reason {
    /// Generic success.
    pub const SUCCEEDED: &str = "Succeeded";
    /// Generic failure.
    pub const FAILED: &str = "Failed";
    /// The spec breaks a rule Flux states as CEL (checked in the controller, since a v1.20
    /// apiserver cannot); terminal until the spec changes.
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// A reconciliation is in progress.
    pub const PROGRESSING: &str = "Progressing";
    /// A reconciliation failed and will be retried.
    pub const PROGRESSING_WITH_RETRY: &str = "ProgressingWithRetry";
    /// The object is suspended.
    pub const SUSPENDED: &str = "Suspended";
    /// A `dependsOn` entry is not ready yet.
    pub const DEPENDENCY_NOT_READY: &str = "DependencyNotReady";
    /// A path is invalid or escapes its root.
    pub const INVALID_PATH: &str = "InvalidPath";
    /// A URL is invalid.
    pub const INVALID_URL: &str = "InvalidURL";
    /// Plain HTTP was refused by controller settings.
    pub const INSECURE_CONNECTIONS_DISALLOWED: &str = "InsecureConnectionsDisallowed";
    /// The URL scheme is not supported.
    pub const UNSUPPORTED_CONNECTION_TYPE: &str = "UnsupportedConnectionType";
    /// Garbage collection of stale objects failed.
    pub const PRUNE_FAILED: &str = "PruneFailed";
    /// The source artifact could not be fetched or verified.
    pub const ARTIFACT_FAILED: &str = "ArtifactFailed";
    /// Building manifests or the artifact failed.
    pub const BUILD_FAILED: &str = "BuildFailed";
    /// A health check failed.
    pub const HEALTH_CHECK_FAILED: &str = "HealthCheckFailed";
    /// A health check was cancelled because a new revision arrived.
    pub const HEALTH_CHECK_CANCELED: &str = "HealthCheckCanceled";
    /// The whole reconciliation succeeded.
    pub const RECONCILIATION_SUCCEEDED: &str = "ReconciliationSucceeded";
    /// The whole reconciliation failed.
    pub const RECONCILIATION_FAILED: &str = "ReconciliationFailed";
    /// A CEL expression does not compile or has the wrong type.
    pub const INVALID_CEL_EXPRESSION: &str = "InvalidCELExpression";
    /// The spec needs a feature gate that is off.
    pub const FEATURE_GATE_DISABLED: &str = "FeatureGateDisabled";
    /// A cross-namespace reference or ACL was refused.
    pub const ACCESS_DENIED: &str = "AccessDenied";

    /// Source: the URL is invalid.
    pub const URL_INVALID: &str = "URLInvalid";
    /// Source: credentials are missing or rejected.
    pub const AUTHENTICATION_FAILED: &str = "AuthenticationFailed";
    /// Source: signature verification failed.
    pub const VERIFICATION_ERROR: &str = "VerificationError";
    /// Source storage: a directory could not be created.
    pub const DIRECTORY_CREATION_FAILED: &str = "DirectoryCreationFailed";
    /// Source storage: a stat failed.
    pub const STAT_OPERATION_FAILED: &str = "StatOperationFailed";
    /// Source storage: a read failed.
    pub const READ_OPERATION_FAILED: &str = "ReadOperationFailed";
    /// Source storage: the artifact lock could not be taken.
    pub const ACQUIRE_LOCK_FAILED: &str = "AcquireLockFailed";
    /// Source storage: archiving failed.
    pub const ARCHIVE_OPERATION_FAILED: &str = "ArchiveOperationFailed";
    /// Source storage: the `latest` symlink could not be updated.
    pub const SYMLINK_UPDATE_FAILED: &str = "SymlinkUpdateFailed";
    /// Source: the stored artifact is already current.
    pub const ARTIFACT_UP_TO_DATE: &str = "ArtifactUpToDate";
    /// Source: a cache operation failed.
    pub const CACHE_OPERATION_FAILED: &str = "CacheOperationFailed";
    /// Source: patching the object failed.
    pub const PATCH_OPERATION_FAILED: &str = "PatchOperationFailed";
    /// Bucket: the STS configuration is invalid.
    pub const INVALID_STS_CONFIGURATION: &str = "InvalidSTSConfiguration";
    /// Source: the provider configuration is invalid.
    pub const INVALID_PROVIDER_CONFIGURATION: &str = "InvalidProviderConfiguration";
    /// GitRepository: a Git operation succeeded.
    pub const GIT_OPERATION_SUCCEEDED: &str = "GitOperationSucceeded";
    /// GitRepository / ImageUpdateAutomation: a Git operation failed.
    pub const GIT_OPERATION_FAILED: &str = "GitOperationFailed";
    /// OCIRepository: pulling the artifact failed.
    pub const OCI_ARTIFACT_PULL_FAILED: &str = "OCIArtifactPullFailed";
    /// OCIRepository: processing a layer failed.
    pub const OCI_ARTIFACT_LAYER_OPERATION_FAILED: &str = "OCIArtifactLayerOperationFailed";
    /// HelmRepository: fetching or parsing the index failed.
    pub const INDEXATION_FAILED: &str = "IndexationFailed";
    /// HelmChart: the chart was pulled.
    pub const CHART_PULL_SUCCEEDED: &str = "ChartPullSucceeded";
    /// HelmChart: the chart was packaged.
    pub const CHART_PACKAGE_SUCCEEDED: &str = "ChartPackageSucceeded";
    /// Bucket: listing and fetching succeeded.
    pub const BUCKET_OPERATION_SUCCEEDED: &str = "BucketOperationSucceeded";
    /// Bucket: listing or fetching failed.
    pub const BUCKET_OPERATION_FAILED: &str = "BucketOperationFailed";

    /// HelmRelease: install succeeded.
    pub const INSTALL_SUCCEEDED: &str = "InstallSucceeded";
    /// HelmRelease: install failed.
    pub const INSTALL_FAILED: &str = "InstallFailed";
    /// HelmRelease: upgrade succeeded.
    pub const UPGRADE_SUCCEEDED: &str = "UpgradeSucceeded";
    /// HelmRelease: upgrade failed.
    pub const UPGRADE_FAILED: &str = "UpgradeFailed";
    /// HelmRelease: tests succeeded.
    pub const TEST_SUCCEEDED: &str = "TestSucceeded";
    /// HelmRelease: tests failed.
    pub const TEST_FAILED: &str = "TestFailed";
    /// HelmRelease: rollback succeeded.
    pub const ROLLBACK_SUCCEEDED: &str = "RollbackSucceeded";
    /// HelmRelease: rollback failed.
    pub const ROLLBACK_FAILED: &str = "RollbackFailed";
    /// HelmRelease: uninstall succeeded.
    pub const UNINSTALL_SUCCEEDED: &str = "UninstallSucceeded";
    /// HelmRelease: uninstall failed.
    pub const UNINSTALL_FAILED: &str = "UninstallFailed";
    /// HelmRelease: the Helm configuration could not be initialised.
    pub const INIT_FAILED: &str = "InitFailed";
    /// HelmRelease: the last release could not be read from storage.
    pub const GET_LAST_RELEASE_FAILED: &str = "GetLastReleaseFailed";
    /// HelmRelease: the cluster drifted from the release.
    pub const DRIFT_DETECTED: &str = "DriftDetected";
    /// HelmRelease: no drift was found.
    pub const NO_DRIFT_DETECTED: &str = "NoDriftDetected";

    /// ImageRepository: the image reference is invalid.
    pub const IMAGE_URL_INVALID: &str = "ImageURLInvalid";
    /// ImagePolicy: an interval is required but missing.
    pub const INTERVAL_NOT_CONFIGURED: &str = "IntervalNotConfigured";
    /// ImageUpdateAutomation: the update strategy is invalid.
    pub const INVALID_UPDATE_STRATEGY: &str = "InvalidUpdateStrategy";
    /// ImageUpdateAutomation: the source configuration is invalid.
    pub const INVALID_SOURCE_CONFIGURATION: &str = "InvalidSourceConfiguration";
    /// ImageUpdateAutomation: the source manager failed.
    pub const SOURCE_MANAGER_FAILED: &str = "SourceManagerFailed";
    /// ImageUpdateAutomation: updating files failed.
    pub const UPDATE_FAILED: &str = "UpdateFailed";
    /// ImageUpdateAutomation: the policy selector is invalid.
    pub const INVALID_POLICY_SELECTOR: &str = "InvalidPolicySelector";
    /// ImageUpdateAutomation: the commit template uses a removed field.
    pub const REMOVED_TEMPLATE_FIELD: &str = "RemovedTemplateField";

    /// Event: a source stored a new artifact.
    pub const NEW_ARTIFACT: &str = "NewArtifact";
    /// Event: a stored artifact failed its digest check.
    pub const ARTIFACT_VERIFICATION_FAILED: &str = "ArtifactVerificationFailed";
    /// Event: old artifacts were garbage collected.
    pub const GARBAGE_COLLECTION_SUCCEEDED: &str = "GarbageCollectionSucceeded";
    /// Event: garbage collection of old artifacts failed.
    pub const GARBAGE_COLLECTION_FAILED: &str = "GarbageCollectionFailed";
}

/// Annotation keys (and the values Flux compares them with).
pub mod annotation {
    /// Request a reconciliation now; any new value triggers one.
    pub const RECONCILE_REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
    /// HelmRelease: force a one-off install/upgrade; must equal `requestedAt`.
    pub const FORCE_REQUESTED_AT: &str = "reconcile.fluxcd.io/forceAt";
    /// HelmRelease: reset failure counters; must equal `requestedAt`.
    pub const RESET_REQUESTED_AT: &str = "reconcile.fluxcd.io/resetAt";

    /// Per-object prune opt-out (`disabled`).
    pub const KUSTOMIZE_PRUNE: &str = "kustomize.toolkit.fluxcd.io/prune";
    /// Per-object apply policy (`Merge`, `IfNotPresent`, `Ignore`).
    pub const KUSTOMIZE_SSA: &str = "kustomize.toolkit.fluxcd.io/ssa";
    /// Per-object recreate on immutable-field errors (`enabled`).
    pub const KUSTOMIZE_FORCE: &str = "kustomize.toolkit.fluxcd.io/force";
    /// Per-object reconcile opt-out (`disabled`).
    pub const KUSTOMIZE_RECONCILE: &str = "kustomize.toolkit.fluxcd.io/reconcile";
    /// Per-object post-build substitution opt-out (`disabled`); also on every CRD.
    pub const KUSTOMIZE_SUBSTITUTE: &str = "kustomize.toolkit.fluxcd.io/substitute";
    /// Per-object SOPS decryption opt-out (`Disabled`).
    pub const KUSTOMIZE_DECRYPT: &str = "kustomize.toolkit.fluxcd.io/decrypt";
    /// Deprecated checksum annotation removed by the cleanup patch.
    pub const KUSTOMIZE_CHECKSUM: &str = "kustomize.toolkit.fluxcd.io/checksum";
    /// Per-object drift detection opt-out for HelmRelease (`disabled`).
    pub const HELM_DRIFT_DETECTION: &str = "helm.toolkit.fluxcd.io/driftDetection";
    /// Event metadata key carrying the chart version.
    pub const HELM_REVISION: &str = "helm.toolkit.fluxcd.io/revision";
    /// Event metadata key carrying the chart appVersion.
    pub const HELM_APP_VERSION: &str = "helm.toolkit.fluxcd.io/app-version";
    /// Event metadata key carrying the OCI digest of the chart.
    pub const HELM_OCI_DIGEST: &str = "helm.toolkit.fluxcd.io/oci-digest";
    /// Prefix of object annotations copied into event metadata.
    pub const EVENT_PREFIX: &str = "event.toolkit.fluxcd.io/";

    /// Value `enabled`.
    pub const ENABLED: &str = "enabled";
    /// Value `disabled`.
    pub const DISABLED: &str = "disabled";
    /// Value `Disabled` (decrypt opt-out spelling).
    pub const DISABLED_CAPITAL: &str = "Disabled";
    /// SSA policy: merge with fields owned by others.
    pub const SSA_MERGE: &str = "Merge";
    /// SSA policy: create only when absent.
    pub const SSA_IF_NOT_PRESENT: &str = "IfNotPresent";
    /// SSA policy: never apply or prune.
    pub const SSA_IGNORE: &str = "Ignore";
}

/// Label keys.
pub mod label {
    /// Owner label: name of the Kustomization that applied the object.
    pub const KUSTOMIZE_NAME: &str = "kustomize.toolkit.fluxcd.io/name";
    /// Owner label: namespace of the Kustomization that applied the object.
    pub const KUSTOMIZE_NAMESPACE: &str = "kustomize.toolkit.fluxcd.io/namespace";
    /// Owner label: name of the HelmRelease that installed the object.
    pub const HELM_NAME: &str = "helm.toolkit.fluxcd.io/name";
    /// Owner label: namespace of the HelmRelease that installed the object.
    pub const HELM_NAMESPACE: &str = "helm.toolkit.fluxcd.io/namespace";
    /// ConfigMaps/Secrets with this label (`Enabled`) trigger their dependents.
    pub const RECONCILE_WATCH: &str = "reconcile.fluxcd.io/watch";
    /// Value of [`RECONCILE_WATCH`] that enables watching.
    pub const RECONCILE_WATCH_ENABLED: &str = "Enabled";
}

/// API groups and versions.
pub mod group {
    /// source-controller kinds.
    pub const SOURCE: &str = "source.toolkit.fluxcd.io";
    /// Version served for source kinds.
    pub const SOURCE_VERSION: &str = "v1";
    /// kustomize-controller kinds.
    pub const KUSTOMIZE: &str = "kustomize.toolkit.fluxcd.io";
    /// Version served for Kustomization.
    pub const KUSTOMIZE_VERSION: &str = "v1";
    /// helm-controller kinds.
    pub const HELM: &str = "helm.toolkit.fluxcd.io";
    /// Version served for HelmRelease.
    pub const HELM_VERSION: &str = "v2";
    /// notification-controller kinds.
    pub const NOTIFICATION: &str = "notification.toolkit.fluxcd.io";
    /// Version served for Receiver.
    pub const NOTIFICATION_VERSION: &str = "v1";
    /// Version served for Provider and Alert.
    pub const NOTIFICATION_V1BETA3: &str = "v1beta3";
    /// image reflector and automation kinds.
    pub const IMAGE: &str = "image.toolkit.fluxcd.io";
    /// Version served for image kinds.
    pub const IMAGE_VERSION: &str = "v1";
    /// Event payloads posted to notification-controller (not a CRD).
    pub const EVENT: &str = "event.toolkit.fluxcd.io";
}

/// Kind names, for references and alert/receiver filters.
pub mod kind {
    /// `GitRepository`.
    pub const GIT_REPOSITORY: &str = "GitRepository";
    /// `OCIRepository`.
    pub const OCI_REPOSITORY: &str = "OCIRepository";
    /// `HelmRepository`.
    pub const HELM_REPOSITORY: &str = "HelmRepository";
    /// `HelmChart`.
    pub const HELM_CHART: &str = "HelmChart";
    /// `Bucket`.
    pub const BUCKET: &str = "Bucket";
    /// `ExternalArtifact` (produced by third parties; referenced, not defined here).
    pub const EXTERNAL_ARTIFACT: &str = "ExternalArtifact";
    /// `Kustomization`.
    pub const KUSTOMIZATION: &str = "Kustomization";
    /// `HelmRelease`.
    pub const HELM_RELEASE: &str = "HelmRelease";
    /// `Provider`.
    pub const PROVIDER: &str = "Provider";
    /// `Alert`.
    pub const ALERT: &str = "Alert";
    /// `Receiver`.
    pub const RECEIVER: &str = "Receiver";
    /// `ImageRepository`.
    pub const IMAGE_REPOSITORY: &str = "ImageRepository";
    /// `ImagePolicy`.
    pub const IMAGE_POLICY: &str = "ImagePolicy";
    /// `ImageUpdateAutomation`.
    pub const IMAGE_UPDATE_AUTOMATION: &str = "ImageUpdateAutomation";
}
