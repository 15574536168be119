//! HTTPS registries: a custom CA (`certSecretRef`'s `ca.crt`) is trusted, an unknown one is not.

use capstan_e2e::Registry;
use capstan_oci::{Error, OCIReference, OciClient, OciUrl, RegistryOptions};

use crate::support::{pull_into, read, tempdir};

#[tokio::test]
async fn a_registry_signed_by_the_given_ca_is_trusted() {
    let registry = Registry::start_tls().unwrap_or_else(|e| panic!("{e}"));
    registry
        .push_files("app", "v1", &[("a.yaml", "over https")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = registry.client("app").unwrap_or_else(|e| panic!("{e}"));
    let resolved = client
        .resolve(OCIReference::Tag("v1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dest = tempdir();
    pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(read(&dest.path().join("a.yaml")), "over https");
}

#[tokio::test]
async fn an_unknown_ca_is_refused() {
    let registry = Registry::start_tls().unwrap_or_else(|e| panic!("{e}"));
    let url = OciUrl::parse(&registry.url("app")).unwrap_or_else(|e| panic!("{e}"));
    let client = OciClient::new(url, RegistryOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    match client.resolve(OCIReference::Tag("v1")).await {
        Err(e @ Error::Unreachable { .. }) => {
            let message = e.to_string().to_lowercase();
            assert!(message.contains("certificate"), "{message}");
        }
        other => panic!("expected Unreachable for an untrusted certificate, got {other:?}"),
    }
}

#[test]
fn a_malformed_ca_is_an_authentication_failure() {
    let url = OciUrl::parse("oci://127.0.0.1:5000/app").unwrap_or_else(|e| panic!("{e}"));
    let options = RegistryOptions {
        ca_certificate: Some(
            b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_vec(),
        ),
        ..RegistryOptions::default()
    };
    match OciClient::new(url, options) {
        Err(e @ Error::InvalidCredentials { .. }) => assert_eq!(e.reason(), "AuthenticationFailed"),
        other => panic!("expected InvalidCredentials, got {other:?}"),
    }
}
