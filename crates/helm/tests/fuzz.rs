//! Property tests: hostile templates, values files and `--set` strings never panic the
//! engine; they render or fail with an error.

use std::rc::Rc;

use capstan_helm::env::{FixedClock, Limits, SeededEntropy};
use capstan_helm::{
    CapabilitiesOptions, Chart, ChartFile, Host, ReleaseOptions, ValueSource, load_files,
    render_release,
};
use proptest::prelude::*;

fn host() -> Host {
    Host {
        clock: Rc::new(FixedClock(0)),
        entropy: Rc::new(SeededEntropy::new(7)),
        limits: Limits {
            max_output_bytes: 1 << 20,
            max_include_depth: 50,
            max_template_depth: 200,
            ..Limits::default()
        },
    }
}

fn chart_with(template: &str, values: &str) -> Option<Chart> {
    load_files(vec![
        ChartFile { name: "Chart.yaml".into(), data: b"apiVersion: v2\nname: fz\nversion: 0.1.0\n".to_vec() },
        ChartFile { name: "values.yaml".into(), data: values.as_bytes().to_vec() },
        ChartFile { name: "templates/t.yaml".into(), data: template.as_bytes().to_vec() },
        ChartFile {
            name: "templates/_h.tpl".into(),
            data: b"{{ define \"h\" }}{{ .Values | toYaml }}{{ end }}{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}".to_vec(),
        },
    ])
    .ok()
}

fn release() -> ReleaseOptions {
    ReleaseOptions {
        name: "r".into(),
        namespace: "default".into(),
        revision: 1,
        is_install: true,
        is_upgrade: false,
    }
}

/// Template fragments that combine into plausible and implausible templates.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{- ".to_string()),
        Just(" -}}".to_string()),
        Just(".Values.a".to_string()),
        Just(".Values.a.b.c".to_string()),
        Just("$x := ".to_string()),
        Just("$x".to_string()),
        Just(" | ".to_string()),
        Just("if ".to_string()),
        Just("else".to_string()),
        Just("end".to_string()),
        Just("range ".to_string()),
        Just("with ".to_string()),
        Just("define \"d\"".to_string()),
        Just("template \"d\" .".to_string()),
        Just("include \"h\" .".to_string()),
        Just("include \"loop\" .".to_string()),
        Just("tpl .Values.s .".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\"str\"".to_string()),
        Just("`raw`".to_string()),
        Just("42".to_string()),
        Just("1.5e3".to_string()),
        Just("'c'".to_string()),
        Just("nil".to_string()),
        Just("toYaml".to_string()),
        Just("printf \"%d %s %v\"".to_string()),
        Just("index .Values.l 5".to_string()),
        Just("dict \"k\" .".to_string()),
        Just("list 1 2".to_string()),
        Just("break".to_string()),
        Just("continue".to_string()),
        Just("/* c */".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("a: ".to_string()),
        "[ -~]{0,6}".prop_map(|s| s),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn templates_never_panic(parts in proptest::collection::vec(fragment(), 0..24)) {
        let tpl: String = parts.concat();
        if let Some(chart) = chart_with(&tpl, "a: {b: 1}\nl: [1, 2]\ns: \"{{ .Values.a }}\"\n") {
            let _ = render_release(&chart, &[], &release(), &CapabilitiesOptions::default(), &host());
        }
    }

    #[test]
    fn values_files_never_panic(text in "[ -~\n\t]{0,120}") {
        if let Some(chart) = chart_with("x: {{ toYaml .Values | quote }}\n", &text) {
            let _ = render_release(&chart, &[ValueSource::File { name: "f".into(), text: text.clone() }], &release(), &CapabilitiesOptions::default(), &host());
        }
    }

    #[test]
    fn set_strings_never_panic(arg in "[a-c.\\[\\]0-9=,{}\\\\ ]{0,30}") {
        if let Some(chart) = chart_with("x: 1\n", "") {
            let _ = render_release(&chart, &[ValueSource::Set(arg.clone()), ValueSource::SetString(arg)], &release(), &CapabilitiesOptions::default(), &host());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn chart_yaml_never_panics(text in "[ -~\n]{0,160}") {
        let _ = load_files(vec![
            ChartFile { name: "Chart.yaml".into(), data: text.into_bytes() },
            ChartFile { name: "templates/t.yaml".into(), data: b"a: {{ .Chart.Name }}".to_vec() },
        ]);
    }

    #[test]
    fn archives_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = capstan_helm::load_archive(&bytes);
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        gz.extend_from_slice(&bytes);
        let _ = capstan_helm::load_archive(&gz);
    }

    #[test]
    fn helmignore_never_panics(text in "[ -~\n]{0,80}", path in "[a-z/.*?\\[\\]]{0,20}") {
        if let Ok(rules) = capstan_helm::HelmIgnore::parse(&text) {
            let _ = rules.ignore(&path, false);
            let _ = rules.ignore(&path, true);
        }
    }
}

#[test]
fn include_loops_are_bounded() {
    let chart = chart_with("x: {{ include \"loop\" . }}\n", "").expect("chart");
    let e = render_release(
        &chart,
        &[],
        &release(),
        &CapabilitiesOptions::default(),
        &host(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("rendering template has a nested reference name: loop")
    );
}

#[test]
fn template_recursion_is_bounded() {
    let chart = chart_with(
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}x: {{ template \"r\" . }}\n",
        "",
    )
    .expect("chart");
    let e = render_release(
        &chart,
        &[],
        &release(),
        &CapabilitiesOptions::default(),
        &host(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("exceeded maximum template depth"),
        "{e}"
    );
}

#[test]
fn output_size_is_bounded() {
    let chart = chart_with(
        "x: {{ range until 100000 }}{{ repeat 100 \"y\" }}{{ end }}\n",
        "",
    )
    .expect("chart");
    let e = render_release(
        &chart,
        &[],
        &release(),
        &CapabilitiesOptions::default(),
        &host(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("output exceeds the limit"), "{e}");
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep_yaml = format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let chart = chart_with("x: 1\n", "").expect("chart");
    let r = render_release(
        &chart,
        &[ValueSource::File {
            name: "deep.yaml".into(),
            text: deep_yaml,
        }],
        &release(),
        &CapabilitiesOptions::default(),
        &host(),
    );
    assert!(r.is_err());
    let deep_tpl = format!("x: {{{{ {}1{} }}}}\n", "(".repeat(3000), ")".repeat(3000));
    let chart = chart_with(&deep_tpl, "").expect("chart");
    assert!(
        render_release(
            &chart,
            &[],
            &release(),
            &CapabilitiesOptions::default(),
            &host()
        )
        .is_err()
    );
    let json = format!("x: {{{{ fromJson \"{}\" | len }}}}\n", "[".repeat(3000));
    let chart = chart_with(&json, "").expect("chart");
    let _ = render_release(
        &chart,
        &[],
        &release(),
        &CapabilitiesOptions::default(),
        &host(),
    );
}
