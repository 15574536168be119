//! `capstan build kustomization <name> --path <dir>`: render a Kustomization from a local
//! checkout exactly as kustomize-controller would from the artifact — the same pipeline
//! (`capstan-ksbuild`: `spec.path` resolved inside the tree, SOPS decryption, kustomize build
//! with the spec's overlay, post-build substitution), plus the owner labels the controller
//! sets, printed as YAML.
//!
//! The spec comes from the cluster, or from `--kustomization-file` (then the cluster is only
//! asked for `postBuild.substituteFrom` variables, and not at all with `--dry-run`). SOPS keys
//! come from `--decrypt-key` files, never from the cluster: a review must not need the
//! decryption Secret. Without keys, encrypted manifests are an error, as in the controller.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use capstan_api::kustomize::Kustomization;
use capstan_apply::ApplyOptions;
use kube::{Client, ResourceExt};
use serde::Deserialize;
use serde_json::Value;

use crate::global::GlobalArgs;
use crate::resources;

/// `capstan build`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// Render a Kustomization from a local directory, as the controller would apply it.
    #[command(visible_alias = "ks")]
    Kustomization(BuildArgs),
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    #[command(flatten)]
    input: Input,
    /// Ask the cluster nothing: needs `--kustomization-file`; `substituteFrom` variables are
    /// then unknown.
    #[arg(long)]
    dry_run: bool,
}

/// What `build` and `diff` render from.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Input {
    /// Name of the Kustomization.
    pub(crate) name: String,
    /// The local source tree (repository root); the Kustomization's `spec.path` is resolved
    /// inside it, as the controller resolves it inside the artifact.
    #[arg(long)]
    pub(crate) path: PathBuf,
    /// A YAML file holding the Kustomization (other documents are skipped); its spec is used
    /// instead of the cluster's.
    #[arg(long)]
    pub(crate) kustomization_file: Option<PathBuf>,
    /// A private key to decrypt SOPS-encrypted files with: age (`AGE-SECRET-KEY-…`, e.g.
    /// `*.agekey`) or armored OpenPGP (`*.asc`). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) decrypt_key: Vec<PathBuf>,
    /// Fail on a variable with neither value nor default, as the controller does
    /// (`--strict-substitute=false` leaves it empty).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true")]
    pub(crate) strict_substitute: bool,
}

/// A client made on first use, so offline renders never touch a kubeconfig.
pub(crate) struct LazyClient<'a> {
    global: &'a GlobalArgs,
    client: Option<Client>,
}

impl<'a> LazyClient<'a> {
    /// A client for the global flags' cluster, not connected yet.
    pub(crate) fn new(global: &'a GlobalArgs) -> Self {
        Self {
            global,
            client: None,
        }
    }

    /// The client, made now if needed.
    pub(crate) async fn get(&mut self) -> anyhow::Result<Client> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = self.global.client().await?;
        self.client = Some(client.clone());
        Ok(client)
    }
}

/// A rendered Kustomization: the object it was rendered for (as read from the cluster or the
/// file) and the manifests the controller would apply, owner labels set.
pub(crate) struct Rendered {
    /// The Kustomization.
    pub(crate) kustomization: Kustomization,
    /// Whether the Kustomization was read from the cluster (it then carries its live status).
    pub(crate) from_cluster: bool,
    /// The objects, in build order.
    pub(crate) objects: Vec<Value>,
}

/// Runs `capstan build`.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Target::Kustomization(args) = args.target;
    resources::block_on(async {
        let mut client = LazyClient::new(global);
        let rendered = render(&args.input, global, &mut client, args.dry_run).await?;
        print!("{}", resources::to_yaml_documents(&rendered.objects)?);
        Ok(ExitCode::SUCCESS)
    })
}

/// Renders `input` as kustomize-controller would; `offline` forbids every cluster lookup.
pub(crate) async fn render(
    input: &Input,
    global: &GlobalArgs,
    client: &mut LazyClient<'_>,
    offline: bool,
) -> anyhow::Result<Rendered> {
    if !input.path.is_dir() {
        bail!(
            "invalid resource path {:?}: --path must be the local source tree (a directory)",
            input.path
        );
    }
    let namespace = &global.namespace;
    let keyring = keyring(&input.decrypt_key)?;
    let (kustomization, from_cluster) = match &input.kustomization_file {
        Some(file) => (from_file(file, &input.name, namespace)?, false),
        None if offline => bail!(
            "--dry-run needs --kustomization-file: without the cluster there is no Kustomization {} to read",
            input.name
        ),
        None => {
            let client = client.get().await?;
            (
                resources::fetch::<Kustomization>(&client, namespace, &input.name).await?,
                true,
            )
        }
    };
    let needs_cluster = kustomization
        .spec
        .post_build
        .as_ref()
        .and_then(|p| p.substitute_from.as_ref())
        .is_some_and(|from| !from.is_empty());
    let variables = if offline || !needs_cluster {
        capstan_ksbuild::vars::inline(&kustomization)
    } else {
        capstan_ksbuild::vars::load(&client.get().await?, &kustomization).await
    }
    .with_context(|| {
        format!(
            "reading the post-build variables of {}",
            described(&kustomization)
        )
    })?;

    // As the controller: keys apply only when the Kustomization configures decryption.
    let decrypts = kustomization.spec.decryption.is_some();
    let settings = capstan_ksbuild::BuildSettings {
        no_remote_bases: false,
        keyring: keyring.as_ref().filter(|_| decrypts),
    };
    let objects = match capstan_ksbuild::build(&input.path, &kustomization, &settings) {
        Ok(objects) => objects,
        Err(capstan_ksbuild::Error::Encrypted { object }) if decrypts => bail!(
            "{object} is SOPS-encrypted: pass --decrypt-key with an age or PGP private key to decrypt it \
             (the controller reads them from spec.decryption.secretRef)"
        ),
        Err(error) => {
            return Err(anyhow::Error::new(error)).with_context(|| {
                format!(
                    "building {} from {}",
                    described(&kustomization),
                    input.path.display()
                )
            });
        }
    };
    // Offline, `substituteFrom` variables are unknown, not absent: substitute anyway, so strict
    // mode names every variable the cluster would have had to supply.
    let strategy = if offline && needs_cluster {
        capstan_api::kustomize::SubstituteStrategy::Always
    } else {
        kustomization.substitute_strategy()
    };
    let mut objects = capstan_ksbuild::vars::substitute_all(
        objects,
        &variables,
        strategy,
        input.strict_substitute,
    )
    .with_context(|| format!("post-build substitution of {}", described(&kustomization)))?;
    let owner = ApplyOptions::kustomization_owner(
        &kustomization.name_any(),
        &kustomization.namespace().unwrap_or_default(),
    );
    for object in &mut objects {
        set_labels(object, &owner);
    }
    Ok(Rendered {
        kustomization,
        from_cluster,
        objects,
    })
}

fn described(kustomization: &Kustomization) -> String {
    let (namespace, name) = resources::namespace_and_name(kustomization);
    resources::describe::<Kustomization>(&namespace, &name)
}

fn set_labels(object: &mut Value, labels: &BTreeMap<String, String>) {
    let Some(root) = object.as_object_mut() else {
        return;
    };
    let metadata = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let existing = metadata
        .entry("labels")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    if !existing.is_object() {
        *existing = Value::Object(serde_json::Map::new());
    }
    if let Some(existing) = existing.as_object_mut() {
        for (key, value) in labels {
            existing.insert(key.clone(), Value::String(value.clone()));
        }
    }
}

/// The Kustomization `name` of `file` (in `namespace`, or with no namespace, which then
/// defaults to `namespace`), among any other documents.
fn from_file(file: &Path, name: &str, namespace: &str) -> anyhow::Result<Kustomization> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading kustomization file {}", file.display()))?;
    for document in serde_yaml::Deserializer::from_str(&text) {
        let value = Value::deserialize(document)
            .with_context(|| format!("parsing kustomization file {}", file.display()))?;
        let is_kustomization = value["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with(&format!("{}/", capstan_api::group::KUSTOMIZE)))
            && value["kind"].as_str() == Some(capstan_api::kind::KUSTOMIZATION);
        let metadata = &value["metadata"];
        let same_namespace = metadata["namespace"]
            .as_str()
            .is_none_or(|ns| ns.is_empty() || ns == namespace);
        if !is_kustomization || metadata["name"].as_str() != Some(name) || !same_namespace {
            continue;
        }
        let mut kustomization: Kustomization =
            serde_json::from_value(value).with_context(|| {
                format!(
                    "kustomization file {}: Kustomization {name} is not valid",
                    file.display()
                )
            })?;
        if kustomization.namespace().is_none_or(|ns| ns.is_empty()) {
            kustomization.metadata.namespace = Some(namespace.to_string());
        }
        return Ok(kustomization);
    }
    bail!(
        "no Kustomization named {name:?} in namespace {namespace:?} in {} (use -n for another namespace)",
        file.display()
    )
}

/// The keys of `--decrypt-key` files, by name (`*.agekey`, `*.asc`) or, failing that, content.
fn keyring(files: &[PathBuf]) -> anyhow::Result<Option<capstan_ksbuild::Keyring>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut entries = Vec::new();
    for file in files {
        let bytes = std::fs::read(file)
            .with_context(|| format!("reading --decrypt-key {}", file.display()))?;
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = if file_name.ends_with(".agekey") || file_name.ends_with(".asc") {
            file_name
        } else if contains(&bytes, b"AGE-SECRET-KEY-") {
            format!("{file_name}.agekey")
        } else if contains(&bytes, b"-----BEGIN PGP PRIVATE KEY BLOCK-----") {
            format!("{file_name}.asc")
        } else {
            bail!(
                "--decrypt-key {}: neither an age identity (AGE-SECRET-KEY-…) nor an armored PGP private key",
                file.display()
            );
        };
        entries.push((entry, bytes));
    }
    let keyring = capstan_ksbuild::keyring_from_secret(
        entries
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
    )
    .context("reading --decrypt-key files")?;
    Ok(Some(keyring))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_named_kustomization_is_picked_from_a_multi_document_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ks.yaml");
        std::fs::write(
            &file,
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: apps\n\
             spec:\n  url: https://x\n  interval: 1m\n---\n\
             apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: other\n\
             spec:\n  interval: 1m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: apps\n---\n\
             apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n\
             spec:\n  interval: 1m\n  path: ./deploy\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: apps\n",
        )
        .unwrap();
        let found = from_file(&file, "apps", "capstan-system").unwrap();
        assert_eq!(found.path(), "./deploy");
        assert_eq!(found.namespace().as_deref(), Some("capstan-system"));
        let missing = from_file(&file, "absent", "capstan-system").unwrap_err();
        assert!(missing.to_string().contains("\"absent\""), "{missing}");
    }

    #[test]
    fn owner_labels_join_existing_labels() {
        let mut object =
            json!({"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"app": "x"}}});
        let owner = ApplyOptions::kustomization_owner("apps", "capstan-system");
        set_labels(&mut object, &owner);
        assert_eq!(
            object["metadata"]["labels"],
            json!({"app": "x", "kustomize.toolkit.fluxcd.io/name": "apps",
                "kustomize.toolkit.fluxcd.io/namespace": "capstan-system"})
        );
    }

    #[test]
    fn key_files_are_recognised_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let age = dir.path().join("key.txt");
        let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/sops/testdata/keys/age1.agekey");
        std::fs::copy(&fixture, &age).unwrap();
        let ring = keyring(&[age]).unwrap().unwrap();
        assert_eq!(ring.age_recipients().len(), 1);
        let junk = dir.path().join("junk");
        std::fs::write(&junk, "hello").unwrap();
        let error = keyring(&[junk]).unwrap_err();
        assert!(
            error.to_string().contains("neither an age identity"),
            "{error}"
        );
    }
}
