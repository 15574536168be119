//! Reading the Secrets sources reference (`secretRef`), keeping the values opaque.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;

/// Why a referenced Secret could not be read; names the Secret, never a value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The Secret does not exist.
    #[error("secret '{namespace}/{name}' not found")]
    NotFound {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The API call failed.
    #[error("reading secret '{namespace}/{name}'")]
    Read {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// The data of Secret `namespace/name`, as raw bytes per key.
pub async fn secret_data(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<BTreeMap<String, Vec<u8>>, SecretError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    match api.get_opt(name).await {
        Ok(Some(secret)) => Ok(secret
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect()),
        Ok(None) => Err(SecretError::NotFound {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }),
        Err(source) => Err(SecretError::Read {
            namespace: namespace.to_string(),
            name: name.to_string(),
            source,
        }),
    }
}
