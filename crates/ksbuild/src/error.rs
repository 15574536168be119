/// Why a Kustomization's manifests could not be built; names the file, object and field.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `spec.path` leaves the artifact.
    #[error("spec.path '{0}' leaves the artifact")]
    PathEscapes(String),
    /// `spec.path` is not in the artifact.
    #[error("kustomization path '{0}' not found in the artifact")]
    PathNotFound(String),
    /// The unpacked tree cannot be used as a build root.
    #[error("opening the source tree")]
    Root(#[source] capstan_kustomize::FsError),
    /// `kustomize build` failed (a decryption failure names the file here too).
    #[error("kustomize build failed")]
    Build(#[source] capstan_kustomize::BuildError),
    /// The decryption Secret's keys cannot be used.
    #[error("invalid decryption keys")]
    Keys(#[source] capstan_sops::KeyringError),
    /// An object is still SOPS ciphertext: decryption is not configured for it.
    #[error(
        "{object} is SOPS-encrypted, but the Kustomization has no spec.decryption: refusing to apply ciphertext"
    )]
    Encrypted {
        /// `Kind/namespace/name`.
        object: String,
    },
    /// A `postBuild.substituteFrom` source or a variable name is unusable.
    #[error("{0}")]
    Variables(String),
    /// Post-build substitution failed for an object.
    #[error("post-build substitution failed for {object}")]
    Substitute {
        /// `Kind/namespace/name`.
        object: String,
        #[source]
        source: capstan_envsubst::Error,
    },
}
