//! Loading a chart from a directory, a `.tgz` archive or a list of files, as Helm's loader
//! does, but confined: a directory walk never follows a symlink out of the chart root, and an
//! archive entry with `..` or an absolute path is refused.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::helmignore::Rules;
use super::metadata::Metadata;
use super::{Chart, ChartFile, LoadError};

/// Largest single file and whole chart, uncompressed (Helm uses 5 MiB and 100 MiB).
const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
const MAX_CHART_BYTES: u64 = 100 * 1024 * 1024;

/// Loads a chart directory, applying its `.helmignore`.
pub fn load_dir(dir: &Path) -> Result<Chart, LoadError> {
    let root = dir
        .canonicalize()
        .map_err(|e| LoadError::Io(format!("{}: {e}", dir.display())))?;
    let mut rules = match std::fs::read_to_string(root.join(".helmignore")) {
        Ok(text) => Rules::parse(&text).map_err(LoadError::Invalid)?,
        Err(_) => Rules::default(),
    };
    rules.add_defaults();
    let mut files = Vec::new();
    let mut total = 0u64;
    walk(&root, &root, "", &rules, &mut files, &mut total, 0)?;
    load_files(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    rel: &str,
    rules: &Rules,
    out: &mut Vec<ChartFile>,
    total: &mut u64,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > 64 {
        return Err(LoadError::Invalid(format!(
            "{}: directory nesting too deep",
            dir.display()
        )));
    }
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| LoadError::Io(format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort();
    for (name, path) in entries {
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        // Follow symlinks only while they stay inside the chart root.
        let real = path
            .canonicalize()
            .map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        if !real.starts_with(root) {
            return Err(LoadError::Invalid(format!(
                "{rel_name}: symlink points outside the chart directory"
            )));
        }
        let meta = std::fs::metadata(&real)
            .map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        if meta.is_dir() {
            if rules.ignore(&rel_name, true) {
                continue;
            }
            walk(root, &real, &rel_name, rules, out, total, depth + 1)?;
            continue;
        }
        if rules.ignore(&rel_name, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(LoadError::Invalid(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                path.display()
            )));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(LoadError::Invalid(format!(
                "chart file {name:?} is larger than the maximum file size {MAX_FILE_BYTES}"
            )));
        }
        *total += meta.len();
        if *total > MAX_CHART_BYTES {
            return Err(LoadError::Invalid(
                "chart exceeds the maximum decompressed size".into(),
            ));
        }
        let mut data =
            std::fs::read(&real).map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
            data.drain(..3);
        }
        out.push(ChartFile {
            name: rel_name,
            data,
        });
    }
    Ok(())
}

/// Loads a gzipped tar archive (`helm package` output).
pub fn load_archive(bytes: &[u8]) -> Result<Chart, LoadError> {
    load_files(archive_files(bytes)?)
}

fn archive_files(bytes: &[u8]) -> Result<Vec<ChartFile>, LoadError> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut ar = tar::Archive::new(gz.take(MAX_CHART_BYTES + 1));
    let mut files: Vec<ChartFile> = Vec::new();
    let entries = ar
        .entries()
        .map_err(|e| LoadError::Invalid(format!("failed to read archive: {e}")))?;
    let mut total = 0u64;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| LoadError::Invalid(format!("failed to read archive: {e}")))?;
        let kind = entry.header().entry_type();
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
        {
            continue;
        }
        let delim = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delim).collect();
        let n = parts.get(1..).unwrap_or(&[]).join("/");
        if n.starts_with('/') {
            return Err(LoadError::Invalid(
                "chart illegally contains absolute paths".into(),
            ));
        }
        let n = clean_path(&n);
        if n == "." {
            if kind.is_dir() {
                continue;
            }
            return Err(LoadError::Invalid(format!(
                "chart illegally contains content outside the base directory: {raw:?}"
            )));
        }
        if n.starts_with("..") {
            return Err(LoadError::Invalid(
                "chart illegally references parent directory".into(),
            ));
        }
        if n.len() >= 2 && n.as_bytes().get(1) == Some(&b':') {
            return Err(LoadError::Invalid(
                "chart contains illegally named files".into(),
            ));
        }
        if parts.first() == Some(&"Chart.yaml") {
            return Err(LoadError::Invalid(
                "chart yaml not in base directory".into(),
            ));
        }
        if !kind.is_file() {
            continue;
        }
        let size = entry.header().size().unwrap_or(0);
        if size > MAX_FILE_BYTES {
            return Err(LoadError::Invalid(format!(
                "decompressed chart file {n:?} is larger than the maximum file size {MAX_FILE_BYTES}"
            )));
        }
        total += size;
        if total > MAX_CHART_BYTES {
            return Err(LoadError::Invalid(
                "chart exceeds maximum decompressed size".into(),
            ));
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry
            .read_to_end(&mut data)
            .map_err(|e| LoadError::Invalid(format!("failed to read archive: {e}")))?;
        if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
            data.drain(..3);
        }
        files.push(ChartFile { name: n, data });
    }
    if files.is_empty() {
        return Err(LoadError::Invalid("no files in chart archive".into()));
    }
    Ok(files)
}

/// Go's `path.Clean`.
pub(crate) fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let j = parts.join("/");
    if rooted {
        format!("/{j}")
    } else if j.is_empty() {
        ".".into()
    } else {
        j
    }
}

/// Builds a chart from its files (names relative to the chart root), as Helm's `LoadFiles`.
pub fn load_files(files: Vec<ChartFile>) -> Result<Chart, LoadError> {
    let mut meta: Option<Metadata> = None;
    let mut c = Chart::default();
    let mut subcharts: std::collections::BTreeMap<String, Vec<ChartFile>> =
        std::collections::BTreeMap::new();
    let mut requirements: Option<String> = None;
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" => {
                let mut m = meta.take().unwrap_or_default();
                m.merge_yaml(&String::from_utf8_lossy(&f.data))
                    .map_err(|e| LoadError::Invalid(format!("cannot load Chart.yaml: {}", e.0)))?;
                if m.api_version.is_empty() {
                    m.api_version = "v1".into();
                }
                meta = Some(m);
            }
            "values.yaml" => {
                let text = String::from_utf8_lossy(&f.data).into_owned();
                crate::yaml::parse::parse_map(&text).map_err(|e| {
                    LoadError::Invalid(format!("cannot load values.yaml: {}", values_err(&e.0)))
                })?;
                c.values_yaml = text;
            }
            "values.schema.json" => c.schema = Some(f.data),
            "requirements.yaml" => {
                requirements = Some(String::from_utf8_lossy(&f.data).into_owned())
            }
            "Chart.lock" | "requirements.lock" => c.files.push(f),
            n if n.starts_with("templates/") => c.templates.push(f),
            n if n.starts_with("charts/") => {
                if n.ends_with(".prov") {
                    c.files.push(f);
                    continue;
                }
                let fname = n.trim_start_matches("charts/").to_string();
                let cname = fname.split('/').next().unwrap_or("").to_string();
                subcharts.entry(cname).or_default().push(ChartFile {
                    name: fname,
                    data: f.data,
                });
            }
            _ => c.files.push(f),
        }
    }
    let Some(mut m) = meta else {
        return Err(LoadError::Invalid("Chart.yaml file is missing".into()));
    };
    if let Some(req) = requirements {
        m.merge_yaml(&req)
            .map_err(|e| LoadError::Invalid(format!("cannot load requirements.yaml: {}", e.0)))?;
        if m.api_version == "v1" {
            c.files.push(ChartFile {
                name: "requirements.yaml".into(),
                data: req.into_bytes(),
            });
        }
    }
    m.validate().map_err(|e| LoadError::Invalid(e.0))?;
    c.metadata = m;
    for (n, files) in subcharts {
        if n.starts_with(['_', '.']) {
            continue;
        }
        let sc = if n.ends_with(".tgz") {
            let Some(file) = files.into_iter().next() else {
                continue;
            };
            if file.name != n {
                return Err(LoadError::Invalid(format!(
                    "error unpacking tar in {}: expected {n}, got {}",
                    c.metadata.name, file.name
                )));
            }
            load_archive(&file.data)
        } else {
            let buff: Vec<ChartFile> = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    Some(ChartFile {
                        name: rest.to_string(),
                        data: f.data,
                    })
                })
                .collect();
            load_files(buff)
        };
        let sc = sc.map_err(|e| {
            LoadError::Invalid(format!("error unpacking {n} in {}: {e}", c.metadata.name))
        })?;
        c.dependencies.push(sc);
    }
    Ok(c)
}

fn values_err(e: &str) -> String {
    if e.starts_with("yaml:") {
        format!("cannot unmarshal yaml document: error converting YAML to JSON: {e}")
    } else {
        format!("cannot unmarshal yaml document: {e}")
    }
}

/// Loads a chart from a path: a directory or a `.tgz` file.
pub fn load_path(path: &Path) -> Result<Chart, LoadError> {
    let meta = std::fs::metadata(path)
        .map_err(|_| LoadError::Io(format!("path {:?} not found", path.display().to_string())))?;
    if meta.is_dir() {
        let chart_yaml = std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .join("Chart.yaml");
        if !chart_yaml.exists() {
            return Err(LoadError::Invalid(format!(
                "unable to detect chart at {p}: open {p}: no such file or directory",
                p = chart_yaml.display()
            )));
        }
        return load_dir(path);
    }
    let bytes =
        std::fs::read(path).map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(LoadError::Invalid(format!(
            "file '{}' does not appear to be a gzipped archive; got 'application/octet-stream'",
            path.display()
        )));
    }
    load_archive(&bytes).map_err(|_| LoadError::Invalid("unable to load chart archive".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_matches_go() {
        assert_eq!(clean_path("a/../../b"), "../b");
        assert_eq!(clean_path("./a//b/"), "a/b");
        assert_eq!(clean_path(""), ".");
    }

    #[test]
    fn symlinks_out_of_the_chart_are_refused() {
        let root =
            std::env::temp_dir().join(format!("capstan-helm-symlink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let chart = root.join("c");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(root.join("secret.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(root.join("secret.txt"), chart.join("templates/leak.yaml"))
            .unwrap();
        let e = load_dir(&chart).unwrap_err();
        assert!(
            e.to_string()
                .contains("symlink points outside the chart directory"),
            "{e}"
        );
        std::fs::remove_file(chart.join("templates/leak.yaml")).unwrap();
        std::fs::write(chart.join("inside.txt"), "ok").unwrap();
        std::os::unix::fs::symlink(chart.join("inside.txt"), chart.join("templates/link.yaml"))
            .unwrap();
        assert!(load_dir(&chart).is_ok());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn archive_entries_outside_the_root_are_refused() {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in [
            ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
            ("c/../../etc/x", "x"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            // `append_data` refuses `..`; write the raw name as a hostile archive would.
            let raw = name.as_bytes();
            if let Some(gnu) = h.as_gnu_mut() {
                gnu.name[..raw.len()].copy_from_slice(raw);
            }
            h.set_cksum();
            b.append(&h, data.as_bytes()).unwrap();
        }
        let tarball = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tarball).unwrap();
        let bytes = gz.finish().unwrap();
        let e = load_archive(&bytes).unwrap_err();
        assert_eq!(e.to_string(), "chart illegally references parent directory");
    }

    #[test]
    fn missing_chart_yaml_is_an_error() {
        let e = load_files(vec![ChartFile {
            name: "values.yaml".into(),
            data: b"a: 1".to_vec(),
        }])
        .unwrap_err();
        assert_eq!(e.to_string(), "Chart.yaml file is missing");
    }
}
