//! `capstan template`: the options of `helm template`, their parsing from a command line, and
//! the whole pipeline from chart path to the exact stdout Helm prints.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::chart::{Chart, load};
use crate::env::{Clock, Entropy, Limits, OsEntropy, SystemClock};
use crate::error::Error;
use crate::funcs::Env;
use crate::output::{Hook, Manifest, sort_manifests};
use crate::render::{CapabilitiesOptions, ReleaseOptions, render};
use crate::values::{ValueSource, user_values};

/// Everything `helm template` takes that affects its output.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    /// Release name (`release-name` when not given, as Helm).
    pub release_name: String,
    /// Chart directory or `.tgz` file.
    pub chart_path: PathBuf,
    /// `-f` files, in order.
    pub values_files: Vec<PathBuf>,
    /// `--set` arguments.
    pub set: Vec<String>,
    /// `--set-string` arguments.
    pub set_string: Vec<String>,
    /// `--set-file` arguments (`key=path`).
    pub set_file: Vec<String>,
    /// `--set-json` arguments.
    pub set_json: Vec<String>,
    /// `--set-literal` arguments.
    pub set_literal: Vec<String>,
    /// `--namespace` (default `default`).
    pub namespace: Option<String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// `--is-upgrade`.
    pub is_upgrade: bool,
    /// `--show-only` patterns.
    pub show_only: Vec<String>,
}

/// Clock, randomness and limits for a render; `Host::default()` uses the real clock and OS
/// randomness.
#[derive(Clone)]
pub struct Host {
    /// The clock behind `now`.
    pub clock: Rc<dyn Clock>,
    /// The randomness behind `rand*`, `uuidv4` and key generation.
    pub entropy: Rc<dyn Entropy>,
    /// Output and recursion bounds.
    pub limits: Limits,
}

impl Default for Host {
    fn default() -> Host {
        Host {
            clock: Rc::new(SystemClock),
            entropy: Rc::new(OsEntropy),
            limits: Limits::default(),
        }
    }
}

impl Host {
    fn env(&self) -> Env {
        Env {
            clock: self.clock.clone(),
            entropy: self.entropy.clone(),
            limits: self.limits,
        }
    }
}

/// The result of rendering a release: what the helm-controller applies.
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// Non-hook manifests in install order.
    pub manifests: Vec<Manifest>,
    /// Hooks, sorted by kind as `helm template` prints them.
    pub hooks: Vec<Hook>,
    /// `NOTES.txt` of the top chart, rendered.
    pub notes: String,
    /// CRD files (`crds/`) of the chart and its enabled subcharts: (path, content).
    pub crds: Vec<(String, String)>,
    /// The coalesced values, as YAML.
    pub values_yaml: String,
}

/// Helm's `ParseKubeVersion`. Helm reads `--kube-version` with Kubernetes'
/// `version.ParseGeneric`, not Masterminds: two or more numbers, whatever follows them is
/// dropped, and the numbers are kept as given (`1.25` is `v1.25`, `1.25.3-rc.1` is `v1.25.3`).
pub fn parse_kube_version(s: &str) -> Result<CapabilitiesOptions, Error> {
    let components = parse_generic_version(s)
        .map_err(|reason| Error::Invalid(format!("invalid kube version '{s}': {reason}")))?;
    let text = |i: usize| components.get(i).map(u64::to_string).unwrap_or_default();
    let joined: Vec<String> = components.iter().map(u64::to_string).collect();
    Ok(CapabilitiesOptions {
        kube_version: format!("v{}", joined.join(".")),
        kube_major: text(0),
        kube_minor: text(1),
        extra_api_versions: Vec::new(),
    })
}

/// The numbers of a version as k8s.io/apimachinery's `ParseGeneric` reads them, or its error
/// message. Its pattern is `^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)*$`, so the ignored rest may hold
/// anything but a line break.
fn parse_generic_version(s: &str) -> Result<Vec<u64>, String> {
    let quote = crate::template::gofmt::quote;
    let body = s.trim_start_matches([' ', '\t', '\n', '\x0C', '\r']);
    let body = body.strip_prefix('v').unwrap_or(body);
    let mut end = body.bytes().take_while(u8::is_ascii_digit).count();
    while end > 0 {
        let rest = body.get(end..).unwrap_or_default();
        let digits = rest
            .strip_prefix('.')
            .map_or(0, |r| r.bytes().take_while(u8::is_ascii_digit).count());
        if digits == 0 {
            break;
        }
        end += 1 + digits;
    }
    let (numbers, extra) = body.split_at(end);
    if numbers.is_empty() || extra.contains('\n') {
        return Err(format!("could not parse {} as version", quote(s)));
    }
    let parts: Vec<&str> = numbers.split('.').collect();
    if parts.len() < 2 {
        return Err(format!("illegal version string {}", quote(s)));
    }
    if let Some(first) = parts.first()
        && first.len() > 1
        && first.starts_with('0')
    {
        return Err(format!(
            "illegal zero-prefixed version component {} in {}",
            quote(first),
            quote(s)
        ));
    }
    parts
        .iter()
        .map(|part| {
            part.parse::<u64>().map_err(|_| {
                format!(
                    "illegal non-numeric version component {} in {}: strconv.ParseUint: parsing {}: value out of range",
                    quote(part),
                    quote(s),
                    quote(part)
                )
            })
        })
        .collect()
}

fn validate_release_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 53
        && name.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b.first().is_some_and(|c| *c != b'-')
                && b.last().is_some_and(|c| *c != b'-')
        });
    if ok {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "release name check failed: release name {}: invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53",
        crate::template::gofmt::quote(name)
    )))
}

/// Renders a loaded chart with user values: the structured result the helm-controller uses.
pub fn render_release(
    chart: &Chart,
    values: &[ValueSource],
    release: &ReleaseOptions,
    caps: &CapabilitiesOptions,
    host: &Host,
) -> Result<Release, Error> {
    let uv = user_values(values).map_err(Error::Values)?;
    let (rendered, vals) = render(chart, &uv, release, caps, host.env())?;
    let top_notes = format!("{}/templates/NOTES.txt", chart.metadata.name);
    let mut notes = String::new();
    let mut files = Vec::new();
    for (name, content) in rendered.files {
        if name.ends_with("NOTES.txt") {
            if name == top_notes {
                notes = content;
            }
            continue;
        }
        files.push((name, content));
    }
    let sorted = sort_manifests(&files)?;
    Ok(Release {
        manifests: sorted.manifests,
        hooks: sorted.hooks,
        notes,
        crds: rendered.crds,
        values_yaml: crate::yaml::emit::to_yaml(&vals).unwrap_or_default(),
    })
}

/// Coalesces user values with a chart's defaults (dependencies processed), as YAML.
pub fn coalesced_values(chart: &Chart, values: &[ValueSource]) -> Result<String, Error> {
    let uv = user_values(values).map_err(Error::Values)?;
    let mut wc = crate::values::WChart::new(chart);
    crate::chart::dependencies::process_enabled(&mut wc, &uv, "");
    crate::chart::dependencies::process_import_values(&mut wc);
    let vals = crate::values::coalesce::coalesce_values(&wc, &uv);
    Ok(crate::yaml::emit::to_yaml(&vals).unwrap_or_default())
}

fn read_text(p: &Path) -> Result<String, Error> {
    std::fs::read(p)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|_| Error::Values(format!("open {}: no such file or directory", p.display())))
}

/// Collects the user value sources of a command line, reading the files it names.
fn value_sources(opts: &TemplateOptions) -> Result<Vec<ValueSource>, Error> {
    let mut v = Vec::new();
    for f in &opts.values_files {
        v.push(ValueSource::File {
            name: f.display().to_string(),
            text: read_text(f)?,
        });
    }
    v.extend(opts.set_json.iter().cloned().map(ValueSource::Json));
    v.extend(opts.set.iter().cloned().map(ValueSource::Set));
    v.extend(opts.set_string.iter().cloned().map(ValueSource::SetString));
    for a in &opts.set_file {
        let mut files = Vec::new();
        for part in a.split(',') {
            if let Some((_, path)) = part.split_once('=') {
                files.push((path.to_string(), read_text(Path::new(path))?));
            }
        }
        v.push(ValueSource::SetFile {
            arg: a.clone(),
            files,
        });
    }
    v.extend(
        opts.set_literal
            .iter()
            .cloned()
            .map(ValueSource::SetLiteral),
    );
    Ok(v)
}

/// `helm template`'s stdout for these options.
pub fn render_to_string(opts: &TemplateOptions) -> Result<String, Error> {
    render_to_string_with(opts, &Host::default())
}

/// [`render_to_string`] with an explicit clock, randomness and limits.
pub fn render_to_string_with(opts: &TemplateOptions, host: &Host) -> Result<String, Error> {
    let name = if opts.release_name.is_empty() {
        "release-name"
    } else {
        &opts.release_name
    };
    validate_release_name(name)?;
    let sources = value_sources(opts)?;
    let chart = load::load_path(&opts.chart_path)?;
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        return Err(Error::Invalid(format!(
            "{} charts are not installable",
            chart.metadata.chart_type
        )));
    }
    let missing: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| !chart.dependencies.iter().any(|d| d.metadata.name == r.name))
        .map(|r| r.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
            missing.join(", ")
        )));
    }
    let mut caps = match &opts.kube_version {
        Some(k) => parse_kube_version(k)?,
        None => CapabilitiesOptions::default(),
    };
    caps.extra_api_versions = opts.api_versions.clone();
    if !chart.metadata.kube_version.is_empty()
        && !crate::chart::dependencies::is_compatible_range(
            &chart.metadata.kube_version,
            &caps.kube_version,
        )
    {
        return Err(Error::Render(format!(
            "chart requires kubeVersion: {} which is incompatible with Kubernetes {}",
            chart.metadata.kube_version, caps.kube_version
        )));
    }
    let release = ReleaseOptions {
        name: name.to_string(),
        namespace: opts.namespace.clone().unwrap_or_else(|| "default".into()),
        revision: 1,
        is_install: !opts.is_upgrade,
        is_upgrade: opts.is_upgrade,
    };
    let rel = render_release(&chart, &sources, &release, &caps, host)?;
    let mut manifest = String::new();
    if opts.include_crds {
        for (path, content) in &rel.crds {
            manifest.push_str(&format!("---\n# Source: {path}\n{content}\n"));
        }
    }
    for m in &rel.manifests {
        manifest.push_str(&format!("---\n# Source: {}\n{}\n", m.path, m.content));
    }
    let mut out = String::new();
    out.push_str(manifest.trim());
    out.push('\n');
    if !opts.no_hooks {
        for h in &rel.hooks {
            if opts.skip_tests && h.is_test() {
                continue;
            }
            out.push_str(&format!(
                "---\n# Source: {}\n{}\n",
                h.manifest.path, h.manifest.content
            ));
        }
    }
    if opts.show_only.is_empty() {
        return Ok(out);
    }
    show_only(&out, &opts.show_only)
}

/// `--show-only`: keep the documents whose source path (after the chart name) matches.
fn show_only(out: &str, patterns: &[String]) -> Result<String, Error> {
    let docs = crate::output::split_documents(out);
    let mut result = String::new();
    for pat in patterns {
        let mut found = false;
        for d in &docs {
            let Some(src) = d.lines().find_map(|l| l.strip_prefix("# Source: ")) else {
                continue;
            };
            let Some((_, rest)) = src.split_once('/') else {
                continue;
            };
            if crate::chart::helmignore::go_match(pat, rest).unwrap_or(false) {
                result.push_str(&format!("---\n{d}\n"));
                found = true;
            }
        }
        if !found {
            return Err(Error::Invalid(format!(
                "could not find template {pat} in chart"
            )));
        }
    }
    Ok(result)
}

/// Parses `helm template` arguments (everything after `template`).
pub fn parse_template_args(args: &[String]) -> Result<TemplateOptions, Error> {
    let mut o = TemplateOptions::default();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args.get(i).cloned().unwrap_or_default();
        i += 1;
        if !a.starts_with('-') || a == "-" {
            positional.push(a);
            continue;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let bool_flag = matches!(
            flag.as_str(),
            "--include-crds"
                | "--skip-tests"
                | "--no-hooks"
                | "--is-upgrade"
                | "--debug"
                | "--validate"
                | "--skip-crds"
                | "--dependency-update"
                | "--atomic"
                | "--wait"
                | "--devel"
                | "-g"
                | "--generate-name"
                | "--disable-openapi-validation"
                | "--skip-schema-validation"
                | "--dry-run"
                | "--create-namespace"
        );
        if bool_flag {
            let on = inline.as_deref().is_none_or(|v| v == "true");
            match flag.as_str() {
                "--include-crds" => o.include_crds = on,
                "--skip-tests" => o.skip_tests = on,
                "--no-hooks" => o.no_hooks = on,
                "--is-upgrade" => o.is_upgrade = on,
                _ => {}
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                let v = args
                    .get(i)
                    .cloned()
                    .ok_or_else(|| Error::Invalid(format!("flag needs an argument: {flag}")))?;
                i += 1;
                v
            }
        };
        match flag.as_str() {
            "-f" | "--values" => o.values_files.extend(value.split(',').map(PathBuf::from)),
            "--set" => o.set.push(value),
            "--set-string" => o.set_string.push(value),
            "--set-file" => o.set_file.push(value),
            "--set-json" => o.set_json.push(value),
            "--set-literal" => o.set_literal.push(value),
            "-n" | "--namespace" => o.namespace = Some(value),
            "--kube-version" => o.kube_version = Some(value),
            "-a" | "--api-versions" => o.api_versions.extend(value.split(',').map(str::to_string)),
            "-s" | "--show-only" => o.show_only.push(value),
            "--release-name" | "--name-template" | "--version" | "--repo" | "--post-renderer"
            | "--timeout" | "--description" | "--labels" | "--output-dir" | "--kubeconfig"
            | "--kube-context" => {}
            other => return Err(Error::Invalid(format!("unknown flag: {other}"))),
        }
    }
    match positional.as_slice() {
        [chart] => o.chart_path = PathBuf::from(chart),
        [name, chart] => {
            o.release_name = name.clone();
            o.chart_path = PathBuf::from(chart);
        }
        [] => {
            return Err(Error::Invalid(
                "\"helm template\" requires at least 1 argument".into(),
            ));
        }
        _ => {
            return Err(Error::Invalid(format!(
                "\"helm template\" accepts at most 2 arguments; received {}",
                positional.len()
            )));
        }
    }
    Ok(o)
}

/// `capstan template <args>`: parse, render, return stdout.
pub fn template_command(args: &[String]) -> Result<String, Error> {
    render_to_string(&parse_template_args(args)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kube(s: &str) -> Result<(String, String, String), String> {
        parse_kube_version(s)
            .map(|c| (c.kube_version, c.kube_major, c.kube_minor))
            .map_err(|e| e.to_string())
    }

    /// Recorded from Helm v4.1.4's `helm template --kube-version`.
    #[test]
    fn kube_versions_are_read_as_kubernetes_reads_them() {
        let ok = |v: &str, major: &str, minor: &str| Ok((v.into(), major.into(), minor.into()));
        assert_eq!(kube("1.25.3"), ok("v1.25.3", "1", "25"));
        assert_eq!(kube("1.25"), ok("v1.25", "1", "25"));
        assert_eq!(kube("v1.25.3-rc.1+abc"), ok("v1.25.3", "1", "25"));
        assert_eq!(kube("1.25.3.4"), ok("v1.25.3.4", "1", "25"));
        assert_eq!(kube("1.025.3"), ok("v1.25.3", "1", "25"));
        assert_eq!(kube("  v1.30"), ok("v1.30", "1", "30"));
        assert_eq!(kube("1.25.x"), ok("v1.25", "1", "25"));
    }

    #[test]
    fn kube_version_errors_are_kubernetes_messages() {
        let cases = [
            (
                "notaversion",
                r#"invalid kube version 'notaversion': could not parse "notaversion" as version"#,
            ),
            (
                "1",
                r#"invalid kube version '1': illegal version string "1""#,
            ),
            (
                "1.",
                r#"invalid kube version '1.': illegal version string "1.""#,
            ),
            (
                "01.25.3",
                r#"invalid kube version '01.25.3': illegal zero-prefixed version component "01" in "01.25.3""#,
            ),
            (
                "1.99999999999999999999",
                r#"invalid kube version '1.99999999999999999999': illegal non-numeric version component "99999999999999999999" in "1.99999999999999999999": strconv.ParseUint: parsing "99999999999999999999": value out of range"#,
            ),
            (
                "1.25.3\nx",
                "invalid kube version '1.25.3\nx': could not parse \"1.25.3\\nx\" as version",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(kube(input), Err(want.to_string()), "{input:?}");
        }
    }
}
