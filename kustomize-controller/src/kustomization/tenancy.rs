//! Multi-tenancy: a Kustomization applies as its `spec.serviceAccountName` (or the
//! controller's `--default-service-account`), impersonated, so the apiserver's RBAC for that
//! account — not the controller's — bounds what it can change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use capstan_api::kustomize::Kustomization;
use kube::{Client, ResourceExt};

use super::error::KustomizationError;

/// Clients per impersonated ServiceAccount, built once.
#[derive(Clone)]
pub struct Clients {
    base: Client,
    config: kube::Config,
    default_service_account: String,
    cache: Arc<Mutex<HashMap<(String, String), Client>>>,
}

impl Clients {
    /// Clients derived from the controller's `config`.
    pub fn new(base: Client, config: kube::Config, default_service_account: &str) -> Self {
        Self {
            base,
            config,
            default_service_account: default_service_account.to_string(),
            cache: Arc::default(),
        }
    }

    /// The ServiceAccount a Kustomization acts as, if any.
    pub fn service_account(&self, kustomization: &Kustomization) -> Option<(String, String)> {
        let name = kustomization
            .spec
            .service_account_name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| {
                (!self.default_service_account.is_empty())
                    .then(|| self.default_service_account.clone())
            })?;
        Some((kustomization.namespace().unwrap_or_default(), name))
    }

    /// The client to apply a Kustomization's objects with.
    pub fn for_kustomization(
        &self,
        kustomization: &Kustomization,
    ) -> Result<Client, KustomizationError> {
        let Some((namespace, name)) = self.service_account(kustomization) else {
            return Ok(self.base.clone());
        };
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = cache.get(&(namespace.clone(), name.clone())) {
            return Ok(client.clone());
        }
        let client = capstan_runtime::client::impersonating(&self.config, &namespace, &name)
            .map_err(|source| KustomizationError::Impersonation {
                namespace: namespace.clone(),
                name: name.clone(),
                source,
            })?;
        cache.insert((namespace, name), client.clone());
        Ok(client)
    }
}
