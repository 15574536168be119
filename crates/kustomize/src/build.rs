//! The build itself (kustomize's `KustTarget`): load a kustomization, accumulate its
//! resources (files and nested kustomizations), configuration, generators and components, run
//! its transformers in kustomize's fixed order, and at the top level add content hashes, fix
//! name references, resolve vars and sort.

use crate::error::{BuildError, ErrorKind, Location, loc, transform_err};
use crate::fieldspec::{TransformerConfig, merge_all, merge_one};
use crate::flux;
use crate::fs::{ConfinedFs, EntryKind, FsError, RootPath};
use crate::generator::{self, KvSource};
use crate::kustomization::{
    FieldSpec, GeneratorArgs, KUSTOMIZATION_FILE_NAMES, KustKind, Kustomization, PatchSpec,
    Replacement, ReplacementEntry, Var, decode_replacement,
};
use crate::name_reference;
use crate::options::{BuildOptions, LoadRestrictions, RemotePolicy};
use crate::patch::{self, PatchContent, PatchOptions};
use crate::plugins;
use crate::replacements;
use crate::resid::Gvk;
use crate::resmap::ResMap;
use crate::resource::{LoadError, Origin, Resource, objects_from_text};
use crate::sort;
use crate::transform::{annotations, images, labels, namespace, prefix_suffix, replicas};
use crate::value::Value;
use crate::vars;
use crate::yaml::parse::parse_stream_with;
use crate::yaml::scalar::Schema;

/// Annotation kustomize uses to drop objects meant only for local tooling.
const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";
const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";

/// One kustomization being built.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) dir: RootPath,
    pub(crate) file: String,
    pub(crate) kust: Kustomization,
    /// Kustomization directories that include this one (for cycle detection).
    pub(crate) ancestors: Vec<RootPath>,
    /// Path of this directory as reached from the top one (for origin annotations).
    pub(crate) origin: String,
}

/// What a kustomization has accumulated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub(crate) resmap: ResMap,
    pub(crate) config: TransformerConfig,
    pub(crate) vars: Vec<Var>,
}

/// Runs one build over a confined filesystem.
pub(crate) struct Builder<'a> {
    pub(crate) fs: &'a dyn ConfinedFs,
    pub(crate) opts: &'a BuildOptions,
    build_metadata: Vec<String>,
    pub(crate) warnings: Vec<String>,
    /// kustomize's built-in field spec tables, parsed once per build.
    builtin: TransformerConfig,
}

fn join_origin(base: &str, rel: &str) -> String {
    let joined = if base.is_empty() {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    };
    // Lexical clean like Go's filepath.Join.
    let mut out: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    }
}

/// Whether an entry names a remote base kustomize would fetch.
fn looks_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("git::")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
        || entry.contains(".git//")
}

fn yaml_err(file: &str, e: LoadError) -> ErrorKind {
    match e {
        LoadError::Yaml(y) => ErrorKind::Yaml {
            file: file.to_string(),
            source: y,
        },
        LoadError::Invalid(m) => ErrorKind::InvalidObject {
            file: file.to_string(),
            message: m,
        },
    }
}

struct Kv<'b, 'a> {
    b: &'b Builder<'a>,
    t: &'b Target,
}

impl KvSource for Kv<'_, '_> {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        self.b
            .read_relative(self.t, path)
            .map(|(_, bytes)| bytes)
            .map_err(|e| e.to_string())
    }

    fn env(&self, key: &str) -> Option<String> {
        self.b
            .opts
            .env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

impl<'a> Builder<'a> {
    pub(crate) fn new(fs: &'a dyn ConfinedFs, opts: &'a BuildOptions) -> Builder<'a> {
        Builder {
            fs,
            opts,
            build_metadata: Vec::new(),
            warnings: Vec::new(),
            builtin: TransformerConfig::builtin(),
        }
    }

    fn describe(&self, p: &RootPath) -> String {
        self.fs.display_path(p)
    }

    /// Reads a file named relative to a kustomization, honouring the load restrictions.
    pub(crate) fn read_relative(
        &self,
        t: &Target,
        rel: &str,
    ) -> Result<(RootPath, Vec<u8>), ErrorKind> {
        let p = t.dir.join(rel)?;
        let (real, kind) = self
            .fs
            .resolve(&p)?
            .ok_or_else(|| FsError::NotFound(self.describe(&p)))?;
        if kind == EntryKind::Dir {
            return Err(FsError::WrongKind {
                path: self.describe(&p),
                expected: "file",
            }
            .into());
        }
        if self.opts.load_restrictions == LoadRestrictions::RootOnly
            && !real.parent().starts_with(&t.dir)
        {
            return Err(ErrorKind::OutsideKustomizationRoot {
                path: self.describe(&p),
                root: self.describe(&t.dir),
            });
        }
        let bytes = self.fs.read_file(&real)?;
        Ok((real, bytes))
    }

    fn read_text(&self, t: &Target, rel: &str) -> Result<(RootPath, String), ErrorKind> {
        let (real, bytes) = self.read_relative(t, rel)?;
        Ok((real, String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Finds and decodes the kustomization file of a directory (`Ok(None)` when there is none).
    fn read_kustomization(
        &self,
        dir: &RootPath,
        strict: bool,
    ) -> Result<Option<(String, Kustomization)>, BuildError> {
        let mut found = Vec::new();
        for name in KUSTOMIZATION_FILE_NAMES {
            let p = dir.child(name);
            if let Some((real, EntryKind::File)) = self
                .fs
                .resolve(&p)
                .map_err(|e| BuildError::new(Location::default(), e.into()))?
            {
                found.push((p, real));
            }
        }
        let (p, real) = match found.len() {
            0 => return Ok(None),
            1 => found.remove(0),
            _ => {
                return Err(BuildError::new(
                    Location::default(),
                    ErrorKind::MultipleKustomizations(self.describe(dir)),
                ));
            }
        };
        let file = self.describe(&p);
        let at = Location {
            file: Some(file.clone()),
            field: None,
            entry: None,
        };
        let bytes = self
            .fs
            .read_file(&real)
            .map_err(|e| BuildError::new(at.clone(), e.into()))?;
        let text = String::from_utf8_lossy(&bytes);
        let docs = parse_stream_with(&text, Schema::V2).map_err(|e| {
            BuildError::new(
                at.clone(),
                ErrorKind::Yaml {
                    file: file.clone(),
                    source: e,
                },
            )
        })?;
        let doc = docs.into_iter().next().unwrap_or(Value::Null);
        let doc = if strict { doc } else { flux_lenient(doc) };
        let kust = Kustomization::decode(&doc)
            .map_err(|e| BuildError::new(at.clone(), ErrorKind::InvalidKustomization(e)))?;
        Ok(Some((file, kust)))
    }

    fn load_target(
        &mut self,
        dir: &RootPath,
        ancestors: Vec<RootPath>,
        origin: String,
        allow_flux_generation: bool,
    ) -> Result<Target, BuildError> {
        let not_dir = |what: ErrorKind| BuildError::new(Location::default(), what);
        let (real, kind) = match self.fs.resolve(dir).map_err(|e| not_dir(e.into()))? {
            None => return Err(not_dir(FsError::NotFound(self.describe(dir)).into())),
            Some(x) => x,
        };
        if kind != EntryKind::Dir {
            return Err(not_dir(
                FsError::WrongKind {
                    path: self.describe(dir),
                    expected: "directory",
                }
                .into(),
            ));
        }
        let strict = !(allow_flux_generation && self.opts.flux.is_some());
        match self.read_kustomization(&real, strict)? {
            Some((file, kust)) => Ok(Target {
                dir: real,
                file,
                kust,
                ancestors,
                origin,
            }),
            None if allow_flux_generation && self.opts.flux.is_some() => {
                let resources = flux::generated_resources(self.fs, &real).map_err(|e| {
                    BuildError::new(
                        Location {
                            file: Some(self.describe(&real.child("kustomization.yaml"))),
                            field: Some("resources".into()),
                            entry: None,
                        },
                        ErrorKind::Transform(e),
                    )
                })?;
                let mut kust = Kustomization::empty();
                kust.resources = resources;
                Ok(Target {
                    file: self.describe(&real.child("kustomization.yaml")),
                    dir: real,
                    kust,
                    ancestors,
                    origin,
                })
            }
            None => Err(not_dir(ErrorKind::NoKustomization(self.describe(&real)))),
        }
    }

    /// Builds the kustomization in `dir` (a path inside the root) into objects in output order.
    pub(crate) fn build(&mut self, dir: &RootPath) -> Result<Vec<Resource>, BuildError> {
        let mut t = self.load_target(dir, Vec::new(), String::new(), true)?;
        if let Some(overlay) = self.opts.flux.clone() {
            let fs = self.fs;
            let base = t.dir.clone();
            let exists = move |c: &str| {
                base.join(c)
                    .ok()
                    .and_then(|p| fs.resolve(&p).ok().flatten())
                    .is_some_and(|(_, k)| k == EntryKind::Dir)
            };
            flux::apply_to_kustomization(&mut t.kust, &overlay, &exists);
        }
        self.build_metadata.clone_from(&t.kust.build_metadata);
        if let Some(so) = &t.kust.sort_options {
            sort::validate(so).map_err(|e| {
                BuildError::new(loc(&t.file, "sortOptions", ""), ErrorKind::Transform(e))
            })?;
        }
        self.warn_deprecated(&t);
        let mut acc = self.accumulate(&t, Acc::default())?;
        let top = Location {
            file: Some(t.file.clone()),
            field: None,
            entry: None,
        };

        // Content hashes, then name references, then vars — only at the top.
        for r in &mut acc.resmap.list {
            if r.meta.needs_hash {
                let h = generator::content_hash(r);
                r.store_previous_id();
                let name = r.name();
                r.set_name(&format!("{name}-{h}"));
            }
        }
        name_reference::fix_back_references(&mut acc.resmap, &acc.config.name_reference)
            .map_err(|e| transform_err(top.clone(), e))?;
        let unused = vars::resolve_vars(&mut acc.resmap, &acc.vars, &acc.config.var_reference)
            .map_err(|e| {
                transform_err(
                    Location {
                        field: Some("vars".into()),
                        ..top.clone()
                    },
                    e,
                )
            })?;
        if !unused.is_empty() {
            self.warnings.push(format!(
                "well-defined vars that were never replaced: {}",
                unused.join(",")
            ));
        }
        acc.resmap.list.retain(|r| {
            r.obj
                .get_path(&["metadata", "annotations", LOCAL_CONFIG])
                .and_then(Value::scalar_text)
                .as_deref()
                != Some("true")
        });
        sort::sort(&mut acc.resmap, t.kust.sort_options.as_ref());
        self.finish(&mut acc.resmap);
        if let Some(cm) = self
            .opts
            .flux
            .as_ref()
            .and_then(|f| f.common_metadata.as_ref())
        {
            for r in &mut acc.resmap.list {
                flux::apply_common_metadata(&mut r.obj, cm);
            }
        }
        Ok(acc.resmap.list)
    }

    fn warn_deprecated(&mut self, t: &Target) {
        for d in &t.kust.deprecated {
            let instead = match *d {
                "commonLabels" => "labels",
                "bases" => "resources",
                "vars" => "replacements",
                _ => "patches",
            };
            self.warnings.push(format!(
                "# Warning: '{d}' is deprecated. Please use '{instead}' instead. Run 'kustomize edit fix' to update your Kustomization automatically."
            ));
        }
    }

    /// Final clean-up: managed-by label, build-metadata annotations, emptied annotation maps.
    fn finish(&self, resmap: &mut ResMap) {
        let origins = self.build_metadata.iter().any(|b| b == "originAnnotations");
        let transformations = self
            .build_metadata
            .iter()
            .any(|b| b == "transformerAnnotations");
        let managed = self.build_metadata.iter().any(|b| b == "managedByLabel");
        for r in &mut resmap.list {
            if managed {
                let v = self
                    .opts
                    .managed_by
                    .clone()
                    .unwrap_or_else(|| "kustomize-v5.7.1".to_string());
                r.set_meta_entry("labels", "app.kubernetes.io/managed-by", &v);
            }
            if transformations && !r.meta.transformations.is_empty() {
                // kyaml marshals these structs in field order, not sorted.
                let mut text = String::new();
                for (configured_in, kind) in &r.meta.transformations {
                    text.push_str(&format!(
                        "- configuredIn: {configured_in}\n  configuredBy:\n    apiVersion: builtin\n    kind: {kind}\n"
                    ));
                }
                r.set_meta_entry("annotations", TRANSFORMATIONS_ANNOTATION, &text);
            }
            let had_build_annotations = !r.meta.prev.is_empty()
                || !r.meta.prefixes.is_empty()
                || !r.meta.suffixes.is_empty();
            if let Some(Value::Map(meta)) = r.obj.get_mut("metadata")
                && let Some(Value::Map(ann)) = meta.get_mut("annotations")
            {
                // kustomize re-sets every annotation map from a map of strings.
                for v in ann.values_mut() {
                    *v = Value::String(v.scalar_text().unwrap_or_default());
                }
                let before = ann.len();
                if !origins {
                    ann.shift_remove(ORIGIN_ANNOTATION);
                }
                if !transformations {
                    ann.shift_remove(TRANSFORMATIONS_ANNOTATION);
                }
                let removed = ann.len() != before;
                if ann.is_empty() && (removed || had_build_annotations) {
                    meta.shift_remove("annotations");
                }
            }
        }
    }

    fn origin_annotation(&self, r: &mut Resource, origin: Origin) {
        if self.build_metadata.is_empty() {
            return;
        }
        // kyaml marshals the Origin struct in field order, not sorted.
        let text = match &origin {
            Origin::File(path) => format!("path: {path}\n"),
            Origin::Generated {
                configured_in,
                kind,
            } => {
                format!(
                    "configuredIn: {configured_in}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n"
                )
            }
        };
        r.set_meta_entry("annotations", ORIGIN_ANNOTATION, &text);
        r.meta.origin = Some(origin);
    }

    /// kustomize's `accumulateTarget`.
    fn accumulate(&mut self, t: &Target, mut acc: Acc) -> Result<Acc, BuildError> {
        if t.kust.has_helm {
            return Err(BuildError::new(
                loc(&t.file, "helmCharts", ""),
                ErrorKind::Transform(
                    "helm chart inflation is not supported by this engine (use a HelmRelease)"
                        .into(),
                ),
            ));
        }
        for entry in t.kust.resources.clone() {
            self.accumulate_entry(t, &mut acc, &entry, "resources")?;
        }
        self.merge_configurations(t, &mut acc)?;
        self.run_generators(t, &mut acc)?;
        for entry in t.kust.components.clone() {
            acc = self.accumulate_component(t, acc, &entry)?;
        }
        self.run_transformers(t, &mut acc)?;
        if !t.kust.validators.is_empty() {
            return Err(BuildError::new(
                loc(
                    &t.file,
                    "validators",
                    t.kust.validators.first().cloned().unwrap_or_default(),
                ),
                ErrorKind::Transform("validators are external plugins, which are disabled".into()),
            ));
        }
        let vars_in = t.kust.vars.clone();
        vars::merge_vars(&mut acc.resmap, &mut acc.vars, &vars_in)
            .map_err(|e| transform_err(loc(&t.file, "vars", ""), e))?;
        Ok(acc)
    }

    fn check_cycle(
        &self,
        t: &Target,
        candidate: &RootPath,
        at: &Location,
    ) -> Result<(), BuildError> {
        for visited in std::iter::once(&t.dir).chain(t.ancestors.iter()) {
            if visited.starts_with(candidate) {
                return Err(BuildError::new(
                    at.clone(),
                    ErrorKind::Cycle {
                        candidate: self.describe(candidate),
                        visited: self.describe(visited),
                    },
                ));
            }
        }
        Ok(())
    }

    fn remote_error(&self, at: &Location, entry: &str) -> BuildError {
        let reason = match self.opts.remote {
            RemotePolicy::Refuse => {
                "remote bases are disabled; vendor the base into the source or allow remote bases"
                    .to_string()
            }
            RemotePolicy::Allow => {
                "remote bases are allowed, but this build has no network access and cannot fetch it"
                    .to_string()
            }
        };
        BuildError::new(
            at.clone(),
            ErrorKind::Remote {
                url: entry.to_string(),
                reason,
            },
        )
    }

    /// One `resources` entry: a file of objects or a kustomization directory.
    fn accumulate_entry(
        &mut self,
        t: &Target,
        acc: &mut Acc,
        entry: &str,
        field: &str,
    ) -> Result<(), BuildError> {
        let at = loc(&t.file, field, entry);
        let p = t.dir.join(entry).map_err(|e| {
            if looks_remote(entry) {
                self.remote_error(&at, entry)
            } else {
                BuildError::new(at.clone(), e.into())
            }
        })?;
        let resolved = self
            .fs
            .resolve(&p)
            .map_err(|e| BuildError::new(at.clone(), e.into()))?;
        match resolved {
            None => {
                if looks_remote(entry) {
                    return Err(self.remote_error(&at, entry));
                }
                Err(BuildError::new(
                    at,
                    FsError::NotFound(self.describe(&p)).into(),
                ))
            }
            Some((real, EntryKind::File)) => {
                if self.opts.load_restrictions == LoadRestrictions::RootOnly
                    && !real.parent().starts_with(&t.dir)
                {
                    return Err(BuildError::new(
                        at,
                        ErrorKind::OutsideKustomizationRoot {
                            path: self.describe(&p),
                            root: self.describe(&t.dir),
                        },
                    ));
                }
                let bytes = self
                    .fs
                    .read_file(&real)
                    .map_err(|e| BuildError::new(at.clone(), e.into()))?;
                let text = String::from_utf8_lossy(&bytes);
                let file = self.describe(&p);
                let objs = objects_from_text(&text)
                    .map_err(|e| BuildError::new(at.clone(), yaml_err(&file, e)))?;
                let origin = join_origin(&t.origin, entry);
                let mut batch = Vec::with_capacity(objs.len());
                for o in objs {
                    let mut r = Resource::new(o);
                    self.origin_annotation(&mut r, Origin::File(origin.clone()));
                    batch.push(r);
                }
                acc.resmap
                    .append_all(batch)
                    .map_err(|e| BuildError::new(at.clone(), ErrorKind::DuplicateId(strip_dup(&e))))
            }
            Some((real, EntryKind::Dir)) => {
                self.check_cycle(t, &real, &at)?;
                let mut ancestors = t.ancestors.clone();
                ancestors.push(t.dir.clone());
                let child = self
                    .load_target(&real, ancestors, join_origin(&t.origin, entry), false)
                    .map_err(|e| e.at(&at).via(at.clone()))?;
                if child.kust.kind == KustKind::Component {
                    return Err(BuildError::new(
                        at,
                        ErrorKind::InvalidKustomization(format!(
                            "expected kind != 'Component' for path '{}'",
                            self.describe(&child.dir)
                        )),
                    ));
                }
                let sub = self
                    .accumulate(&child, Acc::default())
                    .map_err(|e| e.via(at.clone()))?;
                acc.resmap.append_all(sub.resmap.list).map_err(|e| {
                    BuildError::new(at.clone(), ErrorKind::DuplicateId(strip_dup(&e)))
                })?;
                vars::merge_vars(&mut acc.resmap, &mut acc.vars, &sub.vars)
                    .map_err(|e| transform_err(at.clone(), e))?;
                Ok(())
            }
        }
    }

    fn accumulate_component(
        &mut self,
        t: &Target,
        acc: Acc,
        entry: &str,
    ) -> Result<Acc, BuildError> {
        let at = loc(&t.file, "components", entry);
        let p = t.dir.join(entry).map_err(|e| {
            if looks_remote(entry) {
                self.remote_error(&at, entry)
            } else {
                BuildError::new(at.clone(), e.into())
            }
        })?;
        let real = match self
            .fs
            .resolve(&p)
            .map_err(|e| BuildError::new(at.clone(), e.into()))?
        {
            Some((real, EntryKind::Dir)) => real,
            Some((_, EntryKind::File)) => {
                return Err(BuildError::new(
                    at,
                    FsError::WrongKind {
                        path: self.describe(&p),
                        expected: "directory",
                    }
                    .into(),
                ));
            }
            None => {
                if looks_remote(entry) {
                    return Err(self.remote_error(&at, entry));
                }
                return Err(BuildError::new(
                    at,
                    FsError::NotFound(self.describe(&p)).into(),
                ));
            }
        };
        self.check_cycle(t, &real, &at)?;
        let mut ancestors = t.ancestors.clone();
        ancestors.push(t.dir.clone());
        let child = self
            .load_target(&real, ancestors, join_origin(&t.origin, entry), false)
            .map_err(|e| e.at(&at).via(at.clone()))?;
        if child.kust.kind != KustKind::Component {
            return Err(BuildError::new(
                at,
                ErrorKind::InvalidKustomization(format!(
                    "expected kind 'Component' for path '{}' but got 'Kustomization'",
                    self.describe(&child.dir)
                )),
            ));
        }
        self.accumulate(&child, acc).map_err(|e| e.via(at))
    }

    fn merge_configurations(&mut self, t: &Target, acc: &mut Acc) -> Result<(), BuildError> {
        let mut tc = self.builtin.clone();
        for entry in &t.kust.configurations {
            let at = loc(&t.file, "configurations", entry.as_str());
            let (_, text) = self
                .read_text(t, entry)
                .map_err(|e| BuildError::new(at.clone(), e))?;
            let more = TransformerConfig::parse(&text).map_err(|e| transform_err(at.clone(), e))?;
            tc.merge(&more).map_err(|e| transform_err(at.clone(), e))?;
        }
        acc.config
            .merge(&tc)
            .map_err(|e| transform_err(loc(&t.file, "configurations", ""), e))?;
        for entry in &t.kust.crds {
            let at = loc(&t.file, "crds", entry.as_str());
            let (_, text) = self
                .read_text(t, entry)
                .map_err(|e| BuildError::new(at.clone(), e))?;
            let more = crate::crds::config_from_crd_file(&text)
                .map_err(|e| transform_err(at.clone(), e))?;
            acc.config
                .merge(&more)
                .map_err(|e| transform_err(at.clone(), e))?;
        }
        Ok(())
    }

    fn generate_one(
        &mut self,
        t: &Target,
        acc: &mut Acc,
        args: &GeneratorArgs,
        secret: bool,
        at: &Location,
        configured_in: String,
    ) -> Result<(), BuildError> {
        let opts =
            generator::merge_options(args.options.as_ref(), t.kust.generator_options.as_ref());
        let mut res = generator::generate(args, secret, &opts, &Kv { b: self, t })
            .map_err(|e| transform_err(at.clone(), e))?;
        let kind = if secret {
            "SecretGenerator"
        } else {
            "ConfigMapGenerator"
        };
        self.origin_annotation(
            &mut res,
            Origin::Generated {
                configured_in,
                kind,
            },
        );
        acc.resmap
            .absorb(res)
            .map_err(|e| transform_err(at.clone(), e))
    }

    fn run_generators(&mut self, t: &Target, acc: &mut Acc) -> Result<(), BuildError> {
        let configured_in = join_origin(&t.origin, t.file.rsplit('/').next().unwrap_or(&t.file));
        for (i, args) in t.kust.config_map_generator.clone().iter().enumerate() {
            let at = loc(&t.file, "configMapGenerator", entry_name(&args.name, i));
            self.generate_one(t, acc, args, false, &at, configured_in.clone())?;
        }
        for (i, args) in t.kust.secret_generator.clone().iter().enumerate() {
            let at = loc(&t.file, "secretGenerator", entry_name(&args.name, i));
            self.generate_one(t, acc, args, true, &at, configured_in.clone())?;
        }
        for entry in t.kust.generators.clone() {
            let at = loc(&t.file, "generators", entry.as_str());
            for cfg in self.plugin_configs(t, &entry, "generators")? {
                let (args, secret) =
                    plugins::generator_args(&cfg).map_err(|e| transform_err(at.clone(), e))?;
                self.generate_one(t, acc, &args, secret, &at, configured_in.clone())?;
            }
        }
        Ok(())
    }

    /// Loads plugin configuration objects of a `transformers` / `generators` entry.
    fn plugin_configs(
        &mut self,
        t: &Target,
        entry: &str,
        field: &str,
    ) -> Result<Vec<Value>, BuildError> {
        let at = loc(&t.file, field, entry);
        if entry.contains('\n') {
            let objs = objects_from_text(entry)
                .map_err(|e| BuildError::new(at.clone(), yaml_err(&t.file, e)))?;
            return Ok(objs);
        }
        let mut scratch = Acc::default();
        self.accumulate_entry(t, &mut scratch, entry, field)?;
        Ok(scratch.resmap.list.into_iter().map(|r| r.obj).collect())
    }

    fn load_patch_text(
        &self,
        t: &Target,
        p: &PatchSpec,
        at: &Location,
    ) -> Result<String, BuildError> {
        let inline = p.patch.trim();
        match (inline.is_empty(), p.path.is_empty()) {
            (true, true) => Err(transform_err(
                at.clone(),
                "must specify one of patch and path",
            )),
            (false, false) => Err(transform_err(
                at.clone(),
                "patch and path can't be set at the same time",
            )),
            (false, true) => Ok(inline.to_string()),
            (true, false) => self
                .read_text(t, &p.path)
                .map(|(_, s)| s)
                .map_err(|e| BuildError::new(at.clone(), e)),
        }
    }

    fn record(&self, resmap: &mut ResMap, before: &[Value], t: &Target, kind: &'static str) {
        if !self
            .build_metadata
            .iter()
            .any(|b| b == "transformerAnnotations")
        {
            return;
        }
        let configured_in = join_origin(&t.origin, t.file.rsplit('/').next().unwrap_or(&t.file));
        for (r, old) in resmap.list.iter_mut().zip(before.iter()) {
            if r.obj != *old {
                r.meta.transformations.push((configured_in.clone(), kind));
            }
        }
    }

    fn snapshot(&self, resmap: &ResMap) -> Vec<Value> {
        if self
            .build_metadata
            .iter()
            .any(|b| b == "transformerAnnotations")
        {
            resmap.list.iter().map(|r| r.obj.clone()).collect()
        } else {
            Vec::new()
        }
    }

    /// kustomize's builtin transformers, in its fixed order, then the `transformers` field.
    fn run_transformers(&mut self, t: &Target, acc: &mut Acc) -> Result<(), BuildError> {
        let k = &t.kust;
        let tc = acc.config.clone();
        let file = t.file.as_str();

        // patchesStrategicMerge: all loaded first, then applied one by one by id.
        if !k.patches_strategic_merge.is_empty() {
            let mut loaded: Vec<(String, Value)> = Vec::new();
            for entry in &k.patches_strategic_merge {
                let at = loc(file, "patchesStrategicMerge", short_entry(entry));
                let objs = match objects_from_text(entry) {
                    Ok(o) if !entry.trim().is_empty() => o,
                    _ => {
                        let (_, text) = self
                            .read_text(t, entry.trim())
                            .map_err(|e| BuildError::new(at.clone(), e))?;
                        objects_from_text(&text)
                            .map_err(|e| BuildError::new(at.clone(), yaml_err(entry, e)))?
                    }
                };
                if objs.is_empty() {
                    return Err(transform_err(at, "patch appears to be empty"));
                }
                loaded.extend(objs.into_iter().map(|o| (entry.clone(), o)));
            }
            let before = self.snapshot(&acc.resmap);
            for (entry, p) in loaded {
                patch::apply_by_id(
                    &mut acc.resmap,
                    &p,
                    PatchOptions::default(),
                    "strategic merge patch",
                )
                .map_err(|e| {
                    transform_err(loc(file, "patchesStrategicMerge", short_entry(&entry)), e)
                })?;
            }
            if before.len() == acc.resmap.list.len() {
                self.record(
                    &mut acc.resmap,
                    &before,
                    t,
                    "PatchStrategicMergeTransformer",
                );
            }
        }

        for (i, p) in k.patches.iter().enumerate() {
            let at = loc(file, "patches", patch_entry(p, i));
            let text = self.load_patch_text(t, p, &at)?;
            let content = patch::parse_patch(&text).map_err(|e| transform_err(at.clone(), e))?;
            let opts = PatchOptions {
                allow_name_change: p.allow_name_change,
                allow_kind_change: p.allow_kind_change,
            };
            let before = self.snapshot(&acc.resmap);
            patch::apply_patch(&mut acc.resmap, &content, p.target.as_ref(), opts)
                .map_err(|e| transform_err(at, e))?;
            if before.len() == acc.resmap.list.len() {
                self.record(&mut acc.resmap, &before, t, "PatchTransformer");
            }
        }

        if !k.namespace.is_empty() {
            let before = self.snapshot(&acc.resmap);
            let opts = namespace::NamespaceOptions {
                namespace: k.namespace.clone(),
                ..Default::default()
            };
            namespace::set_namespace(&mut acc.resmap, &opts, &tc.namespace)
                .map_err(|e| transform_err(loc(file, "namespace", k.namespace.as_str()), e))?;
            self.record(&mut acc.resmap, &before, t, "NamespaceTransformer");
        }
        if !k.name_prefix.is_empty() {
            let before = self.snapshot(&acc.resmap);
            prefix_suffix::apply_affix(&mut acc.resmap, &k.name_prefix, true, &tc.name_prefix)
                .map_err(|e| transform_err(loc(file, "namePrefix", k.name_prefix.as_str()), e))?;
            self.record(&mut acc.resmap, &before, t, "PrefixTransformer");
        }
        if !k.name_suffix.is_empty() {
            let before = self.snapshot(&acc.resmap);
            prefix_suffix::apply_affix(&mut acc.resmap, &k.name_suffix, false, &tc.name_suffix)
                .map_err(|e| transform_err(loc(file, "nameSuffix", k.name_suffix.as_str()), e))?;
            self.record(&mut acc.resmap, &before, t, "SuffixTransformer");
        }

        let before = self.snapshot(&acc.resmap);
        for (i, l) in k.labels.iter().enumerate() {
            let at = loc(file, "labels", format!("#{i}"));
            let mut specs: Vec<FieldSpec> = l.fields.clone();
            if l.include_selectors {
                merge_all(&mut specs, &tc.common_labels)
                    .map_err(|e| transform_err(at.clone(), e))?;
            } else {
                merge_one(
                    &mut specs,
                    FieldSpec {
                        gvk: Gvk::default(),
                        path: "metadata/labels".into(),
                        create: true,
                    },
                )
                .map_err(|e| transform_err(at.clone(), e))?;
                if l.include_templates {
                    merge_all(&mut specs, &tc.template_labels)
                        .map_err(|e| transform_err(at.clone(), e))?;
                }
            }
            labels::set_pairs(&mut acc.resmap, &l.pairs, &specs)
                .map_err(|e| transform_err(at, e))?;
        }
        labels::set_pairs(&mut acc.resmap, &k.common_labels, &tc.common_labels)
            .map_err(|e| transform_err(loc(file, "commonLabels", ""), e))?;
        self.record(&mut acc.resmap, &before, t, "LabelTransformer");

        let before = self.snapshot(&acc.resmap);
        annotations::set_pairs(
            &mut acc.resmap,
            &k.common_annotations,
            &tc.common_annotations,
        )
        .map_err(|e| transform_err(loc(file, "commonAnnotations", ""), e))?;
        self.record(&mut acc.resmap, &before, t, "AnnotationsTransformer");

        for (i, p) in k.patches_json6902.iter().enumerate() {
            let at = loc(file, "patchesJson6902", patch_entry(p, i));
            let Some(target) = &p.target else {
                return Err(transform_err(
                    at,
                    "must specify a target for a JSON 6902 patch",
                ));
            };
            let text = self.load_patch_text(t, p, &at)?;
            let ops = patch::parse_json_patch(&text).map_err(|e| transform_err(at.clone(), e))?;
            let before = self.snapshot(&acc.resmap);
            patch::apply_patch(
                &mut acc.resmap,
                &PatchContent::Json(ops),
                Some(target),
                PatchOptions::default(),
            )
            .map_err(|e| transform_err(at, e))?;
            self.record(&mut acc.resmap, &before, t, "PatchJson6902Transformer");
        }

        for r in &k.replicas {
            let before = self.snapshot(&acc.resmap);
            replicas::set_replicas(&mut acc.resmap, r, &tc.replicas)
                .map_err(|e| transform_err(loc(file, "replicas", r.name.as_str()), e))?;
            self.record(&mut acc.resmap, &before, t, "ReplicaCountTransformer");
        }
        for img in &k.images {
            let before = self.snapshot(&acc.resmap);
            images::set_image(&mut acc.resmap, img, &tc.images)
                .map_err(|e| transform_err(loc(file, "images", img.name.as_str()), e))?;
            self.record(&mut acc.resmap, &before, t, "ImageTagTransformer");
        }

        if !k.replacements.is_empty() {
            let mut all: Vec<Replacement> = Vec::new();
            for (i, r) in k.replacements.iter().enumerate() {
                match r {
                    ReplacementEntry::Inline(r) => all.push(r.clone()),
                    ReplacementEntry::Path(p) => {
                        let at = loc(file, "replacements", p.as_str());
                        let (_, text) = self
                            .read_text(t, p)
                            .map_err(|e| BuildError::new(at.clone(), e))?;
                        all.extend(
                            parse_replacement_file(&text).map_err(|e| transform_err(at, e))?,
                        );
                    }
                }
                let _ = i;
            }
            let before = self.snapshot(&acc.resmap);
            replacements::apply(&mut acc.resmap, &all)
                .map_err(|e| transform_err(loc(file, "replacements", ""), e))?;
            self.record(&mut acc.resmap, &before, t, "ReplacementTransformer");
        }

        for entry in k.transformers.clone() {
            let at = loc(file, "transformers", short_entry(&entry));
            for cfg in self.plugin_configs(t, &entry, "transformers")? {
                plugins::run_transformer(self, t, acc, &cfg, &tc).map_err(|e| e.at(&at))?;
            }
        }
        Ok(())
    }
}

/// Flux re-marshals the root kustomization, silently dropping fields kustomize does not know.
fn flux_lenient(doc: Value) -> Value {
    const KNOWN: &[&str] = &[
        "apiVersion",
        "kind",
        "metadata",
        "openapi",
        "resources",
        "bases",
        "components",
        "crds",
        "namespace",
        "namePrefix",
        "nameSuffix",
        "commonLabels",
        "labels",
        "commonAnnotations",
        "images",
        "imageTags",
        "replicas",
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "configMapGenerator",
        "secretGenerator",
        "generatorOptions",
        "replacements",
        "vars",
        "sortOptions",
        "buildMetadata",
        "configurations",
        "transformers",
        "generators",
        "validators",
        "helmCharts",
        "helmGlobals",
        "helmChartInflationGenerator",
    ];
    match doc {
        Value::Map(m) => Value::Map(
            m.into_iter()
                .filter(|(k, _)| KNOWN.iter().any(|n| n.eq_ignore_ascii_case(k)))
                .collect(),
        ),
        other => other,
    }
}

fn parse_replacement_file(text: &str) -> Result<Vec<Replacement>, String> {
    let docs = parse_stream_with(text, Schema::V2).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for d in docs {
        match d {
            Value::Null => {}
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    out.push(decode_replacement(item, &format!("[{i}]"))?);
                }
            }
            other => out.push(decode_replacement(&other, "")?),
        }
    }
    Ok(out)
}

fn entry_name(name: &str, i: usize) -> String {
    if name.is_empty() {
        format!("#{i}")
    } else {
        name.to_string()
    }
}

fn short_entry(e: &str) -> String {
    let first = e.trim().lines().next().unwrap_or_default();
    if e.trim().contains('\n') {
        format!("{first} ...")
    } else {
        first.to_string()
    }
}

fn patch_entry(p: &PatchSpec, i: usize) -> String {
    if !p.path.is_empty() {
        return p.path.clone();
    }
    match &p.target {
        Some(t) if !t.name.is_empty() || !t.gvk.kind.is_empty() => {
            format!("#{i} (target {} {})", t.gvk.kind, t.name)
                .replace("  ", " ")
                .replace(" )", ")")
        }
        _ => format!("#{i}"),
    }
}

fn strip_dup(e: &str) -> String {
    e.trim_start_matches("may not add resource with an already registered id: ")
        .to_string()
}
