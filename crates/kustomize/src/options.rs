//! Build options: the knobs that differ between `kubectl kustomize` and Flux's build.

use crate::flux::FluxOverlay;

/// Which files a kustomization may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadRestrictions {
    /// Files (patches, generator inputs, resources given as files) must lie in or below the
    /// kustomization's own directory — `kubectl kustomize`'s default.
    #[default]
    RootOnly,
    /// Any file inside the build root — Flux's setting (`LoadRestrictionsNone`).
    None,
}

/// What to do with remote bases (`github.com/...`, `https://...`, `git@...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RemotePolicy {
    /// Refuse them with an error naming the entry.
    #[default]
    Refuse,
    /// Allowed by configuration; this engine has no network access of its own, so the build
    /// still fails, with an error saying the base could not be fetched.
    Allow,
}

/// Options of one build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// File access rule inside the root (see [`LoadRestrictions`]).
    pub load_restrictions: LoadRestrictions,
    /// Remote base handling (see [`RemotePolicy`]).
    pub remote: RemotePolicy,
    /// Environment for env-file lines without `=` (kustomize reads the process environment;
    /// this engine reads only what the caller passes).
    pub env: Vec<(String, String)>,
    /// Flux `Kustomization` spec fields applied on top of the build, and Flux's handling of
    /// directories without a kustomization file.
    pub flux: Option<FluxOverlay>,
    /// Value of the `app.kubernetes.io/managed-by` label when `buildMetadata` asks for it.
    pub managed_by: Option<String>,
}

impl BuildOptions {
    /// `kubectl kustomize` defaults.
    #[must_use]
    pub fn kubectl() -> BuildOptions {
        BuildOptions::default()
    }

    /// Flux kustomize-controller defaults (no load restriction inside the artifact root) with
    /// the given overlay.
    #[must_use]
    pub fn flux(overlay: FluxOverlay) -> BuildOptions {
        BuildOptions {
            load_restrictions: LoadRestrictions::None,
            flux: Some(overlay),
            ..BuildOptions::default()
        }
    }
}
