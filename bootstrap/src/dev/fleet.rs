//! The example fleet repository `capstan dev up` serves: infrastructure (a namespace and
//! cluster settings) and apps (the podinfo demo) layered with `dependsOn`, for cluster
//! `clusters/dev`. The files live in `bootstrap/fleet/` so they can be read and copied.

use std::path::Path;

use anyhow::Context;

/// Every file of the fleet, path → content.
pub(super) const FILES: &[(&str, &str)] = &[
    (
        "clusters/dev/infrastructure.yaml",
        include_str!("../../fleet/clusters/dev/infrastructure.yaml"),
    ),
    (
        "clusters/dev/apps.yaml",
        include_str!("../../fleet/clusters/dev/apps.yaml"),
    ),
    (
        "infrastructure/kustomization.yaml",
        include_str!("../../fleet/infrastructure/kustomization.yaml"),
    ),
    (
        "infrastructure/namespaces.yaml",
        include_str!("../../fleet/infrastructure/namespaces.yaml"),
    ),
    (
        "infrastructure/cluster-settings.yaml",
        include_str!("../../fleet/infrastructure/cluster-settings.yaml"),
    ),
    (
        "apps/base/podinfo/kustomization.yaml",
        include_str!("../../fleet/apps/base/podinfo/kustomization.yaml"),
    ),
    (
        "apps/base/podinfo/deployment.yaml",
        include_str!("../../fleet/apps/base/podinfo/deployment.yaml"),
    ),
    (
        "apps/base/podinfo/service.yaml",
        include_str!("../../fleet/apps/base/podinfo/service.yaml"),
    ),
    (
        "apps/dev/kustomization.yaml",
        include_str!("../../fleet/apps/dev/kustomization.yaml"),
    ),
    (
        "apps/dev/podinfo.yaml",
        include_str!("../../fleet/apps/dev/podinfo.yaml"),
    ),
];

/// The cluster folder bootstrap syncs.
pub(super) const CLUSTER_PATH: &str = "clusters/dev";

/// The app patch the demo edits: a new message and one more replica.
pub(super) fn release(number: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  replicas: {}\n  template:\n    spec:\n      containers:\n      - name: podinfod\n        env:\n        - name: PODINFO_UI_MESSAGE\n          value: \"Hello from Capstan, release {number}\"\n",
        number + 1
    )
}

/// Writes the fleet into a work tree.
pub(super) fn write(root: &Path) -> anyhow::Result<()> {
    for (path, content) in FILES {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&file, content).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}
