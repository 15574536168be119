//! Generated certificates are compared with Helm by shape in the golden cases; here we check
//! what a template cannot: the server certificate really is signed by the generated CA, with
//! the requested names and validity.

use std::rc::Rc;

use capstan_helm::env::{FixedClock, Limits, SeededEntropy};
use capstan_helm::{
    CapabilitiesOptions, ChartFile, Host, ReleaseOptions, load_files, render_release,
};
use x509_parser::pem::parse_x509_pem;

const NOW: i64 = 1_700_000_000;

fn render(template: &str) -> String {
    let chart = load_files(vec![
        ChartFile {
            name: "Chart.yaml".into(),
            data: b"apiVersion: v2\nname: c\nversion: 0.1.0\n".to_vec(),
        },
        ChartFile {
            name: "templates/t.yaml".into(),
            data: template.as_bytes().to_vec(),
        },
    ])
    .expect("chart");
    let host = Host {
        clock: Rc::new(FixedClock(i128::from(NOW) * 1_000_000_000)),
        entropy: Rc::new(SeededEntropy::new(3)),
        limits: Limits::default(),
    };
    let rel = ReleaseOptions {
        name: "r".into(),
        namespace: "ns".into(),
        revision: 1,
        is_install: true,
        is_upgrade: false,
    };
    let out =
        render_release(&chart, &[], &rel, &CapabilitiesOptions::default(), &host).expect("render");
    out.manifests
        .into_iter()
        .map(|m| m.content)
        .collect::<Vec<_>>()
        .join("\n")
}

fn pem_blocks(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let end = rest[start..]
            .find("-----END CERTIFICATE-----")
            .expect("end")
            + start
            + 25;
        let block: String = rest[start..end]
            .lines()
            .map(|l| l.trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        out.push(block.into_bytes());
        rest = &rest[end..];
    }
    out
}

#[test]
fn signed_cert_verifies_against_generated_ca() {
    let text = render(concat!(
        "{{- $ca := genCAWithKey \"my-ca\" 365 (genPrivateKey \"ecdsa\") }}\n",
        "{{- $srv := genSignedCertWithKey \"server\" (list \"10.0.0.1\") (list \"svc.local\") 30 $ca (genPrivateKey \"ecdsa\") }}\n",
        "ca: |\n{{ $ca.Cert | indent 2 }}\nsrv: |\n{{ $srv.Cert | indent 2 }}\n"
    ));
    let blocks = pem_blocks(&text);
    assert_eq!(blocks.len(), 2, "{text}");
    let (_, ca_pem) = parse_x509_pem(&blocks[0]).expect("ca pem");
    let ca = ca_pem.parse_x509().expect("ca cert");
    let (_, srv_pem) = parse_x509_pem(&blocks[1]).expect("srv pem");
    let srv = srv_pem.parse_x509().expect("srv cert");
    assert!(ca.is_ca());
    assert_eq!(ca.subject().to_string(), "CN=my-ca");
    assert_eq!(srv.issuer().to_string(), "CN=my-ca");
    srv.verify_signature(Some(ca.public_key()))
        .expect("server cert signed by the CA");
    ca.verify_signature(None).expect("CA is self-signed");
    assert_eq!(srv.validity().not_before.timestamp(), NOW);
    assert_eq!(srv.validity().not_after.timestamp(), NOW + 30 * 86_400);
    let san = srv
        .subject_alternative_name()
        .expect("san")
        .expect("present");
    let names: Vec<String> = san
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(names.iter().any(|n| n.contains("svc.local")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("0a:00:00:01")), "{names:?}");
}
