//! Property tests over whole builds: no build reads outside its root (whatever the symlinks,
//! `..` entries and absolute paths in its kustomizations), no input makes a build panic, and
//! root paths never climb above the root.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use capstan_kustomize::{
    BuildOptions, ConfinedFs, DiskFs, FluxOverlay, FsError, LoadRestrictions, MemFs, RawEntry,
    RemotePolicy, RootPath, build_with,
};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const SECRET: &str = "TOPSECRET-outside-the-root";

/// Records every primitive the engine asks of the real filesystem.
struct Spy {
    inner: DiskFs,
    calls: RefCell<Vec<(&'static str, RootPath)>>,
}

impl ConfinedFs for Spy {
    fn lstat(&self, path: &RootPath) -> Result<Option<RawEntry>, FsError> {
        self.calls.borrow_mut().push(("lstat", path.clone()));
        self.inner.lstat(path)
    }
    fn read_raw(&self, path: &RootPath) -> Result<Vec<u8>, FsError> {
        self.calls.borrow_mut().push(("read", path.clone()));
        self.inner.read_raw(path)
    }
    fn list_raw(&self, path: &RootPath) -> Result<Vec<String>, FsError> {
        self.calls.borrow_mut().push(("list", path.clone()));
        self.inner.list_raw(path)
    }
    fn display_path(&self, path: &RootPath) -> String {
        self.inner.display_path(path)
    }
    fn absolute_target(&self, target: &str) -> Option<RootPath> {
        self.inner.absolute_target(target)
    }
}

fn real(root: &Path, p: &RootPath) -> PathBuf {
    let mut out = root.to_path_buf();
    for c in p.components() {
        out.push(c);
    }
    out
}

/// Where a path really is once every symlink on it is followed (the deepest existing
/// ancestor is canonicalised).
fn really(p: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut cur = p.to_path_buf();
    loop {
        if let Ok(c) = std::fs::canonicalize(&cur) {
            let mut out = c;
            for m in missing.iter().rev() {
                out.push(m);
            }
            return out;
        }
        match (cur.file_name().map(ToOwned::to_owned), cur.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                cur = parent.to_path_buf();
            }
            _ => return p.to_path_buf(),
        }
    }
}

#[derive(Debug, Clone)]
struct Tree {
    links: Vec<(String, String)>,
    resources: Vec<String>,
    generator_files: Vec<String>,
    patch_paths: Vec<String>,
    has_kustomization: bool,
    flux: bool,
    restricted: bool,
}

fn link_target() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "../../outside",
        "../../outside/secret.yaml",
        "../outside",
        "ABS_OUTSIDE",
        "ABS_OUTSIDE/secret.yaml",
        "ABS_ROOT/app/cm.yaml",
        "ABS_ROOT/../outside/secret.yaml",
        "l1",
        "l0",
        "sub",
        ".",
        "..",
        "../..",
        "../../..",
        "cm.yaml",
        "nonexistent",
        "sub/../../../outside",
        "/",
        "/etc/passwd",
    ])
    .prop_map(str::to_string)
}

fn entry() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "cm.yaml",
        "l0",
        "l1",
        "l2",
        "sub/l3",
        "sub",
        ".",
        "..",
        "../app",
        "../../outside",
        "../outside",
        "../../outside/secret.yaml",
        "ABS_OUTSIDE/secret.yaml",
        "ABS_OUTSIDE",
        "/etc/passwd",
        "sub/../../outside",
        "sub/l3/secret.yaml",
        "l0/secret.yaml",
        "https://github.com/org/repo//path",
        "github.com/org/repo",
    ])
    .prop_map(str::to_string)
}

fn tree() -> impl Strategy<Value = Tree> {
    (
        proptest::collection::vec(
            (
                prop::sample::select(vec!["l0", "l1", "l2", "sub/l3"]),
                link_target(),
            ),
            0..5,
        ),
        proptest::collection::vec(entry(), 0..4),
        proptest::collection::vec(entry(), 0..2),
        proptest::collection::vec(entry(), 0..2),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(links, resources, generator_files, patch_paths, has_k, flux, restricted)| Tree {
                links: links.into_iter().map(|(a, b)| (a.to_string(), b)).collect(),
                resources,
                generator_files,
                patch_paths,
                has_kustomization: has_k,
                flux,
                restricted,
            },
        )
}

fn yaml_list(items: &[String]) -> String {
    let mut s = String::from("[");
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&format!("{it:?}"));
    }
    s.push(']');
    s
}

fn write_tree(base: &Path, t: &Tree) -> std::io::Result<PathBuf> {
    let root = base.join("root");
    let outside = base.join("outside");
    std::fs::create_dir_all(root.join("app/sub"))?;
    std::fs::create_dir_all(&outside)?;
    std::fs::write(
        outside.join("secret.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: secret\ndata:\n  s: {SECRET}\n"
        ),
    )?;
    std::fs::write(
        outside.join("kustomization.yaml"),
        "resources: [secret.yaml]\n",
    )?;
    std::fs::write(
        root.join("app/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n",
    )?;
    let abs = |s: &str| {
        s.replace("ABS_OUTSIDE", &outside.display().to_string())
            .replace("ABS_ROOT", &root.display().to_string())
    };
    for (link, target) in &t.links {
        let at = root.join("app").join(link);
        if std::fs::symlink_metadata(&at).is_err() {
            std::os::unix::fs::symlink(abs(target), &at)?;
        }
    }
    if t.has_kustomization {
        let resources: Vec<String> = t.resources.iter().map(|s| abs(s)).collect();
        let files: Vec<String> = t.generator_files.iter().map(|s| abs(s)).collect();
        let mut k = format!("resources: {}\n", yaml_list(&resources));
        if !files.is_empty() {
            k.push_str(&format!(
                "configMapGenerator:\n- name: gen\n  files: {}\n",
                yaml_list(&files)
            ));
        }
        if !t.patch_paths.is_empty() {
            k.push_str("patches:\n");
            for p in &t.patch_paths {
                k.push_str(&format!("- path: {:?}\n", abs(p)));
            }
        }
        std::fs::write(root.join("app/kustomization.yaml"), k)?;
    }
    Ok(root)
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn no_build_reads_outside_its_root(t in tree()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let root = write_tree(dir.path(), &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let fs = DiskFs::new(&root).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let canon_root = fs.root_dir().to_path_buf();
        let spy = Spy { inner: fs, calls: RefCell::new(Vec::new()) };
        let mut options = if t.flux {
            BuildOptions::flux(FluxOverlay::default())
        } else {
            BuildOptions::kubectl()
        };
        if t.restricted {
            options.load_restrictions = LoadRestrictions::RootOnly;
        }
        options.remote = RemotePolicy::Allow;
        let result = build_with(&spy, "app", &options);
        let text = match &result {
            Ok(b) => format!("{:?}", b.objects),
            Err(e) => e.to_string(),
        };
        prop_assert!(!text.contains(SECRET), "leaked: {}", text);
        for (op, p) in spy.calls.borrow().iter() {
            let path = real(&canon_root, p);
            // lstat does not follow the last component: its parent must be inside.
            let checked = if *op == "lstat" {
                really(path.parent().unwrap_or(&path))
            } else {
                really(&path)
            };
            prop_assert!(
                checked.starts_with(&canon_root),
                "{} of {:?} touches {:?} outside {:?}", op, p, checked, canon_root
            );
        }
    }

    #[test]
    fn root_paths_never_climb_above_the_root(
        base in proptest::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 0..3),
        rel in proptest::collection::vec(
            prop::sample::select(vec!["a", "..", ".", "", "b", "x y", "..."]), 0..8),
    ) {
        let base = RootPath::parse(&base.join("/")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rel_text = rel.join("/");
        let mut depth = base.components().len() as i64;
        // A path written with a leading "/" is absolute and always refused.
        let mut escapes = rel_text.starts_with('/');
        for c in &rel {
            match *c {
                ".." => { depth -= 1; if depth < 0 { escapes = true; } }
                "." | "" => {}
                _ => depth += 1,
            }
        }
        match base.join(&rel_text) {
            Ok(p) => {
                prop_assert!(!escapes);
                prop_assert_eq!(p.components().len() as i64, depth);
                for c in p.components() {
                    prop_assert!(!c.is_empty() && c != "." && c != ".." && !c.contains('/'));
                }
            }
            Err(_) => prop_assert!(escapes),
        }
        let absolute = format!("/{rel_text}");
        prop_assert!(base.join(&absolute).is_err());
    }
}

fn field() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "namespace: ns\n",
        "namespace: [x]\n",
        "namePrefix: p-\n",
        "nameSuffix: -s\n",
        "commonLabels: {app: x}\n",
        "commonLabels: x\n",
        "labels:\n- pairs: {a: b}\n  includeSelectors: true\n  includeTemplates: true\n",
        "commonAnnotations: {a: b}\n",
        "images:\n- name: nginx\n  newTag: \"1\"\n",
        "images: [{}]\n",
        "replicas:\n- name: d\n  count: 3\n",
        "replicas:\n- name: d\n",
        "patches:\n- patch: '[{op: add, path: /metadata/labels, value: {a: b}}]'\n  target: {kind: Deployment}\n",
        "patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: d}\n    spec: {replicas: 2}\n",
        "patches:\n- patch: 'kind: X'\n",
        "patches:\n- path: missing.yaml\n",
        "patchesStrategicMerge:\n- |\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n  data: {k: v}\n",
        "patchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: c}\n  patch: '[{op: remove, path: /data}]'\n",
        "configMapGenerator:\n- name: g\n  literals: [a=b, c]\n",
        "configMapGenerator:\n- name: c\n  behavior: merge\n  literals: [x=y]\n",
        "secretGenerator:\n- name: s\n  literals: [a=b]\n  type: Opaque\n",
        "generatorOptions: {disableNameSuffixHash: true}\n",
        "replacements:\n- source: {kind: ConfigMap, name: c, fieldPath: data.k}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.metadata.labels.k]\n    options: {create: true}\n",
        "replacements:\n- source: {kind: Nope}\n  targets: []\n",
        "vars:\n- name: V\n  objref: {kind: ConfigMap, name: c, apiVersion: v1}\n",
        "sortOptions: {order: fifo}\n",
        "sortOptions: {order: legacy, legacySortOptions: {orderFirst: [ConfigMap]}}\n",
        "buildMetadata: [originAnnotations, transformerAnnotations]\n",
        "components: [comp]\n",
        "crds: [crd.yaml]\n",
        "bases: [base]\n",
        "unknownField: 1\n",
        "resources: base\n",
        "- not a map\n",
        "kind: Component\n",
    ])
    .prop_map(str::to_string)
}

fn resource_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: nginx\n        envFrom:\n        - configMapRef: {name: c}\n".to_string()),
        Just("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n".to_string()),
        Just("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n".to_string()),
        Just("kind: ConfigMap\nmetadata: {name: c}\n".to_string()),
        Just("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".to_string()),
        "[ -~\n]{0,80}",
    ]
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn no_kustomization_makes_a_build_panic(
        fields in proptest::collection::vec(field(), 0..6),
        base_fields in proptest::collection::vec(field(), 0..3),
        res in resource_text(),
        res2 in resource_text(),
    ) {
        let fs = MemFs::new()
            .file("app/kustomization.yaml", format!("resources: [r.yaml, base]\n{}", fields.concat()))
            .file("app/r.yaml", res)
            .file("app/base/kustomization.yaml", format!("resources: [b.yaml]\n{}", base_fields.concat()))
            .file("app/base/b.yaml", res2)
            .file("app/comp/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n")
            .file("app/crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\n");
        if let Ok(b) = build_with(&fs, "app", &BuildOptions::kubectl()) {
            let _ = capstan_kustomize::to_yaml(&b.objects);
        }
    }
}
