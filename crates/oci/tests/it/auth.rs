//! Registries behind basic auth: anonymous access is refused, a `.dockerconfigjson` works.

use capstan_e2e::Registry;
use capstan_oci::{Credentials, Error, OCIReference, OciClient, OciUrl, RegistryOptions};

use crate::support::{pull_into, read, tempdir};

fn registry_with_auth() -> Registry {
    Registry::start_with_auth().unwrap_or_else(|e| panic!("{e}"))
}

fn client_with(registry: &Registry, credentials: Option<Credentials>) -> OciClient {
    let url = OciUrl::parse(&registry.url("private/app")).unwrap_or_else(|e| panic!("{e}"));
    let options = RegistryOptions {
        credentials,
        insecure: true,
        ..RegistryOptions::default()
    };
    OciClient::new(url, options).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn anonymous_access_is_unauthorized() {
    let registry = registry_with_auth();
    registry
        .push_files("private/app", "v1", &[("a.yaml", "secret app")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let anonymous = client_with(&registry, None);

    for result in [
        anonymous.resolve(OCIReference::Tag("v1")).await.map(|_| ()),
        anonymous.list_tags().await.map(|_| ()),
        anonymous.push_blob(b"x".to_vec()).await.map(|_| ()),
    ] {
        match result {
            Err(e @ Error::Unauthorized { .. }) => {
                assert_eq!(e.reason(), "AuthenticationFailed");
                assert!(e.to_string().contains(&registry.url("private/app")), "{e}");
            }
            other => panic!("expected Unauthorized, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn dockerconfigjson_credentials_pull_and_never_print() {
    let registry = registry_with_auth();
    registry
        .push_files("private/app", "v1", &[("a.yaml", "secret app")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let config = registry
        .dockerconfigjson()
        .unwrap_or_else(|| panic!("no credentials"));
    let (_, password) = registry
        .credentials()
        .unwrap_or_else(|| panic!("no credentials"));
    let credentials = Credentials::from_dockerconfigjson(config.as_bytes(), &registry.host())
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no entry for {}", registry.host()));
    let client = client_with(&registry, Some(credentials));
    assert!(!format!("{client:?}").contains(password), "{client:?}");

    let resolved = client
        .resolve(OCIReference::Tag("v1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dest = tempdir();
    pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(read(&dest.path().join("a.yaml")), "secret app");
    assert_eq!(
        client.list_tags().await.unwrap_or_default(),
        vec!["v1".to_string()]
    );
}

#[tokio::test]
async fn wrong_password_is_unauthorized_and_not_echoed() {
    let registry = registry_with_auth();
    let (username, _) = registry
        .credentials()
        .unwrap_or_else(|| panic!("no credentials"));
    let client = client_with(
        &registry,
        Some(Credentials::new(username, "wrong-password-123")),
    );
    match client.resolve(OCIReference::Tag("v1")).await {
        Err(e @ Error::Unauthorized { .. }) => {
            let message = format!("{e} {e:?}");
            assert!(!message.contains("wrong-password-123"), "{message}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}
