use k8s_openapi::api::core::v1::Namespace;
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams};
use rand::Rng;

/// Label on every namespace a test creates, so leftovers on an external cluster are found with
/// `kubectl delete ns -l capstan-e2e=true`.
pub const TEST_NAMESPACE_LABEL: &str = "capstan-e2e";

/// A namespace of its own for one test.
///
/// Not deleted on drop: an async delete cannot outlive the test's runtime, and the local cluster
/// is thrown away with the test binary. Call [`TestNamespace::delete`] to clean up explicitly.
pub struct TestNamespace {
    name: String,
    client: Client,
}

impl std::fmt::Debug for TestNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNamespace")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TestNamespace {
    /// Creates `<prefix>-<random suffix>`; panics when the cluster refuses.
    pub async fn create(client: &Client, prefix: &str) -> Self {
        let suffix: u32 = rand::rng().random();
        let name = format!("{prefix}-{suffix:08x}");
        let mut namespace = Namespace::default();
        namespace.metadata.name = Some(name.clone());
        namespace.metadata.labels =
            Some([(TEST_NAMESPACE_LABEL.to_string(), "true".to_string())].into());
        let api: Api<Namespace> = Api::all(client.clone());
        if let Err(error) = api.create(&PostParams::default(), &namespace).await {
            panic!("creating test namespace {name}: {error}");
        }
        Self {
            name,
            client: client.clone(),
        }
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Deletes the namespace (in the background, as kubectl does).
    pub async fn delete(self) {
        let api: Api<Namespace> = Api::all(self.client.clone());
        if let Err(error) = api.delete(&self.name, &DeleteParams::background()).await {
            panic!("deleting test namespace {}: {error}", self.name);
        }
    }
}
