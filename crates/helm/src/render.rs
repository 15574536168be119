//! Rendering a chart's templates, as Helm's engine does: every template of the chart and its
//! subcharts goes into one template set (deepest paths parsed first, so a parent's `define`
//! wins), each non-partial file is executed with its chart's scope, and `<no value>` is
//! erased from the output.

use std::rc::Rc;

use crate::chart::Chart;
use crate::chart::dependencies::{process_enabled, process_import_values};
use crate::error::Error;
use crate::funcs::{Env, FnError};
use crate::objects::{ApiVersions, Capabilities, Files, KubeVersion};
use crate::template::exec::{Cause, Engine, ExecError};
use crate::template::value::{Map, Value};
use crate::values::WChart;
use crate::values::coalesce::{coalesce_values, table};

/// Release facts templates see as `.Release`.
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    /// Release name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Revision number (1 for an install).
    pub revision: i64,
    /// Whether this is an install.
    pub is_install: bool,
    /// Whether this is an upgrade.
    pub is_upgrade: bool,
}

/// What the cluster is assumed to offer, as `.Capabilities`.
#[derive(Debug, Clone)]
pub struct CapabilitiesOptions {
    /// `vX.Y.Z`.
    pub kube_version: String,
    /// Major version text.
    pub kube_major: String,
    /// Minor version text.
    pub kube_minor: String,
    /// Extra API versions on top of Helm's defaults.
    pub extra_api_versions: Vec<String>,
}

impl Default for CapabilitiesOptions {
    fn default() -> CapabilitiesOptions {
        CapabilitiesOptions {
            kube_version: "v1.35.0".into(),
            kube_major: "1".into(),
            kube_minor: "35".into(),
            extra_api_versions: Vec::new(),
        }
    }
}

/// Rendered template files by name (`chart/templates/x.yaml`), in Helm's render order.
pub(crate) struct RenderedFiles {
    pub(crate) files: Vec<(String, String)>,
    /// The chart after dependency processing: which subcharts are enabled, CRD files.
    pub(crate) crds: Vec<(String, String)>,
}

struct Renderable {
    name: String,
    src: Rc<str>,
    vals: Value,
    base_path: String,
}

fn release_value(r: &ReleaseOptions) -> Value {
    let mut m = Map::new();
    m.insert("Name".into(), Value::from(r.name.as_str()));
    m.insert("Namespace".into(), Value::from(r.namespace.as_str()));
    m.insert("Revision".into(), Value::Int(r.revision));
    m.insert("Service".into(), Value::from("Helm"));
    m.insert("IsUpgrade".into(), Value::Bool(r.is_upgrade));
    m.insert("IsInstall".into(), Value::Bool(r.is_install));
    Value::map(m)
}

fn capabilities_value(c: &CapabilitiesOptions) -> Value {
    let mut apis: Vec<String> = crate::objects::DEFAULT_API_VERSIONS
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    apis.extend(c.extra_api_versions.iter().cloned());
    Value::Object(Rc::new(Capabilities {
        kube: Value::Object(Rc::new(KubeVersion {
            version: c.kube_version.clone(),
            major: c.kube_major.clone(),
            minor: c.kube_minor.clone(),
        })),
        apis: Value::Object(Rc::new(ApiVersions(apis))),
    }))
}

/// Walks the chart tree, building each chart's scope (Helm's `recAllTpls`).
struct Collector {
    release: Value,
    caps: Value,
    out: Vec<Renderable>,
    crds: Vec<(String, String)>,
}

impl Collector {
    fn collect(
        &mut self,
        c: &WChart,
        parent_vals: &Value,
        full_path: &str,
        is_root: bool,
    ) -> Value {
        let (release, caps) = (self.release.clone(), self.caps.clone());
        let sub_charts = Value::empty_map();
        let files: Vec<(String, Rc<Vec<u8>>)> = c
            .src
            .files
            .iter()
            .map(|f| (f.name.clone(), Rc::new(f.data.clone())))
            .collect();
        let values = if is_root {
            parent_vals.get("Values").unwrap_or_else(Value::empty_map)
        } else {
            table(parent_vals, &format!("Values.{}", c.meta.name)).unwrap_or_else(Value::empty_map)
        };
        let mut next = Map::new();
        next.insert("Chart".into(), c.meta.to_value(is_root));
        next.insert(
            "Files".into(),
            Value::Object(Rc::new(Files {
                files: Rc::new(files),
            })),
        );
        next.insert("Release".into(), release.clone());
        next.insert("Capabilities".into(), caps.clone());
        next.insert("Values".into(), values);
        next.insert("Subcharts".into(), sub_charts.clone());
        let next = Value::map(next);
        for f in &c.src.files {
            if f.name.starts_with("crds/")
                && (f.name.ends_with(".yaml")
                    || f.name.ends_with(".yml")
                    || f.name.ends_with(".json"))
            {
                self.crds.push((
                    format!("{full_path}/{}", f.name),
                    String::from_utf8_lossy(&f.data).into_owned(),
                ));
            }
        }
        for d in &c.deps {
            let child_path = format!("{full_path}/charts/{}", d.meta.name);
            let child = self.collect(d, &next, &child_path, false);
            if let Value::Map(m) = &sub_charts {
                m.borrow_mut().insert(d.meta.name.clone(), child);
            }
        }
        let library = c.meta.is_library();
        for t in &c.src.templates {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            if library && !base.starts_with('_') {
                continue;
            }
            self.out.push(Renderable {
                name: format!("{full_path}/{}", t.name),
                src: Rc::from(String::from_utf8_lossy(&t.data).as_ref()),
                vals: next.clone(),
                base_path: format!("{full_path}/templates"),
            });
        }
        next
    }
}

/// Helm's `sortTemplates`: most path segments first, then reverse lexical order.
fn sort_templates(names: &mut [String]) {
    names.sort_by(|a, b| {
        let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
        cb.cmp(&ca).then_with(|| b.cmp(a))
    });
}

/// Prepares values (dependencies, import-values, coalescing) and renders every template.
pub(crate) fn render(
    chart: &Chart,
    user_values: &Value,
    release: &ReleaseOptions,
    caps: &CapabilitiesOptions,
    env: Env,
) -> Result<(RenderedFiles, Value), Error> {
    let mut wc = WChart::new(chart);
    process_enabled(&mut wc, user_values, "");
    process_import_values(&mut wc);
    let vals = coalesce_values(&wc, user_values);
    crate::values::schema::validate_chart(&wc, &vals)?;
    let mut top = Map::new();
    top.insert("Values".into(), vals.clone());
    let top = Value::map(top);
    let mut col = Collector {
        release: release_value(release),
        caps: capabilities_value(caps),
        out: Vec::new(),
        crds: Vec::new(),
    };
    col.collect(&wc, &top, &wc.meta.name, true);
    let Collector {
        out: renderables,
        crds,
        ..
    } = col;
    let mut names: Vec<String> = renderables.iter().map(|r| r.name.clone()).collect();
    sort_templates(&mut names);
    let engine = Engine::new(env);
    for r in &renderables {
        engine.mark_values(&r.vals);
        if let Some(v) = r.vals.get("Values") {
            engine.mark_values(&v);
        }
    }
    for n in &names {
        if let Some(r) = renderables.iter().find(|r| &r.name == n) {
            engine
                .add_file(&r.name, &r.src)
                .map_err(|e| Error::Render(clean_parse_error(&e.to_string())))?;
        }
    }
    let mut files = Vec::new();
    for n in &names {
        let base = n.rsplit('/').next().unwrap_or(n);
        if base.starts_with('_') {
            continue;
        }
        let Some(r) = renderables.iter().find(|r| &r.name == n) else {
            continue;
        };
        let mut t = Map::new();
        t.insert("Name".into(), Value::from(r.name.as_str()));
        t.insert("BasePath".into(), Value::from(r.base_path.as_str()));
        let t = Value::map(t);
        engine.mark_values(&t);
        if let Value::Map(m) = &r.vals {
            m.borrow_mut().insert("Template".into(), t);
        }
        let out = engine
            .execute(&r.name, &r.vals)
            .map_err(|e| Error::Render(clean_exec_error(&e)))?;
        files.push((r.name.clone(), out.replace("<no value>", "")));
    }
    Ok((RenderedFiles { files, crds }, vals))
}

/// Helm's `cleanupParseError`: `parse error at (file:line): message`.
fn clean_parse_error(msg: &str) -> String {
    let tokens: Vec<&str> = msg.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error: {msg}");
    }
    let location = tokens.get(1).copied().unwrap_or("");
    let last = tokens.last().copied().unwrap_or("");
    format!("parse error at ({location}): {last}")
}

/// Extracts a `required`/`fail` message if the error chain carries one.
fn helm_message(e: &FnError) -> Option<String> {
    let s = e.to_string();
    let start = s.find("HELM_ERR_START")?;
    let end = s.rfind("HELM_ERR_END")?;
    s.get(start + "HELM_ERR_START".len()..end)
        .map(str::to_string)
}

/// Helm v4's execution-error layout: `required`/`fail` messages pass through as
/// `execution error at (file:line:col): msg`; a chain of template errors prints one frame per
/// template; anything else keeps Go's one-line text.
pub(crate) fn clean_exec_error(e: &FnError) -> String {
    let FnError::Exec(top) = e else {
        return e.to_string();
    };
    if let Some(m) = helm_message(e) {
        return format!("execution error at ({}): {m}", top.location);
    }
    let mut frames: Vec<String> = Vec::new();
    let mut cur: &ExecError = top;
    loop {
        match &cur.cause {
            Cause::Plain(m) => {
                frames.push(format!(
                    "{}\n  executing {} at <{}>:\n    {m}",
                    cur.location,
                    crate::template::gofmt::quote(&cur.name),
                    cur.context
                ));
                break;
            }
            Cause::Call(name, inner) => {
                frames.push(format!(
                    "{}\n  executing {} at <{}>:\n    error calling {name}:",
                    cur.location,
                    crate::template::gofmt::quote(&cur.name),
                    cur.context
                ));
                match inner {
                    FnError::Exec(next) => cur = next,
                    FnError::TemplateMsg(m) => {
                        frames.push(m.clone());
                        break;
                    }
                    _ => return top.to_string(),
                }
            }
        }
    }
    frames.join("\n")
}
