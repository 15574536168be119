//! Maps objects to the API resources that serve them, through legacy discovery (one
//! `group/version` at a time, as a v1.20 apiserver has no aggregated discovery), cached and
//! refreshed on a miss so a CRD applied in the first stage is found in the next.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::core::GroupVersion;
use kube::discovery::{self, ApiCapabilities, ApiResource, Scope};

use crate::error::ResourceError;
use crate::object::ObjMetadata;

/// The API resource of an object: plural, version, scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// kube's description of the resource (group, version, kind, plural).
    pub resource: ApiResource,
    /// Whether objects of this resource live in a namespace.
    pub namespaced: bool,
}

type GroupVersionResources = Arc<Vec<(ApiResource, ApiCapabilities)>>;

/// A discovery cache shared by the applier, the pruner and the health waiter. Cheap to clone.
#[derive(Clone)]
pub struct ResourceCache {
    client: Client,
    versions: Arc<Mutex<HashMap<String, GroupVersionResources>>>,
}

impl std::fmt::Debug for ResourceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceCache").finish_non_exhaustive()
    }
}

impl ResourceCache {
    /// An empty cache using `client`.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            versions: Arc::default(),
        }
    }

    /// The client discovery runs with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Resolves an object's group/version/kind, from the cache when it knows the kind, else by
    /// discovering its `group/version` again. An unserved kind is
    /// [`ResourceError::UnknownKind`], naming the object.
    pub async fn resolve(&self, object: &ObjMetadata) -> Result<Resolved, ResourceError> {
        if let Some(found) = self.cached(object) {
            return Ok(found);
        }
        self.refresh(object).await?;
        self.cached(object)
            .ok_or_else(|| ResourceError::UnknownKind {
                object: object.clone(),
                group_version: object.api_version(),
                kind: object.kind.clone(),
            })
    }

    /// Whether the cluster serves the object's kind now (refreshing on a miss); discovery
    /// failures other than "not served" are errors.
    pub async fn is_served(&self, object: &ObjMetadata) -> Result<bool, ResourceError> {
        match self.resolve(object).await {
            Ok(_) => Ok(true),
            Err(ResourceError::UnknownKind { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Forgets everything discovered, e.g. after CRDs were deleted.
    pub fn invalidate(&self) {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// A dynamic API for the object: namespaced when the resource is, in the object's namespace.
    pub fn api(&self, resolved: &Resolved, namespace: &str) -> Api<DynamicObject> {
        if resolved.namespaced {
            Api::namespaced_with(self.client.clone(), namespace, &resolved.resource)
        } else {
            Api::all_with(self.client.clone(), &resolved.resource)
        }
    }

    fn cached(&self, object: &ObjMetadata) -> Option<Resolved> {
        let versions = self.versions.lock().unwrap_or_else(PoisonError::into_inner);
        let resources = versions.get(&object.api_version())?;
        resources
            .iter()
            .find(|(resource, _)| resource.kind == object.kind)
            .map(|(resource, caps)| Resolved {
                resource: resource.clone(),
                namespaced: matches!(caps.scope, Scope::Namespaced),
            })
    }

    async fn refresh(&self, object: &ObjMetadata) -> Result<(), ResourceError> {
        let group_version = object.api_version();
        let gv = GroupVersion::gv(&object.group, &object.version);
        let resources = match discovery::pinned_group(&self.client, &gv).await {
            Ok(group) => group.versioned_resources(&object.version),
            // The group/version is not served at all: remember it as empty. An unserved group
            // answers a plain-text `404 page not found`, which kube turns into a Status whose
            // reason is not `NotFound`, so the code is checked too.
            Err(kube::Error::Api(status)) if status.is_not_found() || status.code == 404 => {
                Vec::new()
            }
            Err(source) => {
                return Err(ResourceError::Discovery {
                    group_version,
                    source,
                });
            }
        };
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(group_version, Arc::new(resources));
        Ok(())
    }
}
