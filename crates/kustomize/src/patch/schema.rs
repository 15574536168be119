//! The slice of the Kubernetes OpenAPI schema strategic merge needs: which list fields merge
//! element-wise, and by which keys (`x-kubernetes-patch-strategy: merge`,
//! `x-kubernetes-patch-merge-key`, `x-kubernetes-list-map-keys`). kyaml embeds the Kubernetes
//! 1.21 schema; only kinds it knows get list merging, every other list (and every list of a
//! custom resource) is replaced wholesale.

/// A position in the schema: an object type, or a list field with its patch metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schema {
    /// An object whose fields are described by the type with this name.
    Object(&'static str),
    /// A list field.
    List {
        /// Element type ("" for scalars or unknown elements).
        item: &'static str,
        /// `x-kubernetes-patch-strategy` ("" when absent).
        strategy: &'static str,
        /// Merge keys: `x-kubernetes-list-map-keys` if present, else the merge key.
        keys: &'static [&'static str],
    },
}

type FieldTable = &'static [(&'static str, Schema)];

const fn obj(t: &'static str) -> Schema {
    Schema::Object(t)
}

const fn merge_list(item: &'static str, keys: &'static [&'static str]) -> Schema {
    Schema::List {
        item,
        strategy: "merge",
        keys,
    }
}

const OBJECT_META: FieldTable = &[
    (
        "finalizers",
        Schema::List {
            item: "",
            strategy: "merge",
            keys: &[],
        },
    ),
    ("ownerReferences", merge_list("", &["uid"])),
];

const CONTAINER: FieldTable = &[
    ("env", merge_list("", &["name"])),
    ("ports", merge_list("", &["containerPort", "protocol"])),
    ("volumeMounts", merge_list("", &["mountPath"])),
    ("volumeDevices", merge_list("", &["devicePath"])),
];

const POD_SPEC: FieldTable = &[
    ("containers", merge_list("Container", &["name"])),
    ("initContainers", merge_list("Container", &["name"])),
    ("ephemeralContainers", merge_list("Container", &["name"])),
    (
        "volumes",
        Schema::List {
            item: "",
            strategy: "merge,retainKeys",
            keys: &["name"],
        },
    ),
    ("imagePullSecrets", merge_list("", &["name"])),
    ("hostAliases", merge_list("", &["ip"])),
    (
        "topologySpreadConstraints",
        merge_list("", &["topologyKey", "whenUnsatisfiable"]),
    ),
];

const POD_TEMPLATE_SPEC: FieldTable = &[("metadata", obj("ObjectMeta")), ("spec", obj("PodSpec"))];

const CONDITIONS: FieldTable = &[("conditions", merge_list("", &["type"]))];

const WORKLOAD_SPEC: FieldTable = &[("template", obj("PodTemplateSpec"))];

const JOB_TEMPLATE_SPEC: FieldTable = &[
    ("metadata", obj("ObjectMeta")),
    ("spec", obj("WorkloadSpec")),
];

const CRONJOB_SPEC: FieldTable = &[("jobTemplate", obj("JobTemplateSpec"))];

const SERVICE_SPEC: FieldTable = &[("ports", merge_list("", &["port", "protocol"]))];

const NODE_SPEC: FieldTable = &[(
    "podCIDRs",
    Schema::List {
        item: "",
        strategy: "merge",
        keys: &[],
    },
)];

const NODE_STATUS: FieldTable = &[
    ("addresses", merge_list("", &["type"])),
    ("conditions", merge_list("", &["type"])),
];

const POD_STATUS: FieldTable = &[("conditions", merge_list("", &["type"]))];

/// Top-level shapes: (type name, spec type, status type, extra top-level fields).
const ROOTS: &[(&str, FieldTable)] = &[
    ("Object", &[("metadata", obj("ObjectMeta"))]),
    (
        "Pod",
        &[
            ("metadata", obj("ObjectMeta")),
            ("spec", obj("PodSpec")),
            ("status", obj("PodStatus")),
        ],
    ),
    (
        "PodTemplate",
        &[
            ("metadata", obj("ObjectMeta")),
            ("template", obj("PodTemplateSpec")),
        ],
    ),
    (
        "Workload",
        &[
            ("metadata", obj("ObjectMeta")),
            ("spec", obj("WorkloadSpec")),
            ("status", obj("Conditions")),
        ],
    ),
    (
        "CronJob",
        &[
            ("metadata", obj("ObjectMeta")),
            ("spec", obj("CronJobSpec")),
        ],
    ),
    (
        "Service",
        &[
            ("metadata", obj("ObjectMeta")),
            ("spec", obj("ServiceSpec")),
            ("status", obj("Conditions")),
        ],
    ),
    (
        "ServiceAccount",
        &[
            ("metadata", obj("ObjectMeta")),
            ("secrets", merge_list("", &["name"])),
        ],
    ),
    (
        "Node",
        &[
            ("metadata", obj("ObjectMeta")),
            ("spec", obj("NodeSpec")),
            ("status", obj("NodeStatus")),
        ],
    ),
    (
        "WithConditions",
        &[
            ("metadata", obj("ObjectMeta")),
            ("status", obj("Conditions")),
        ],
    ),
    (
        "Webhooks",
        &[
            ("metadata", obj("ObjectMeta")),
            ("webhooks", merge_list("", &["name"])),
        ],
    ),
];

fn fields_of(t: &str) -> FieldTable {
    match t {
        "ObjectMeta" => OBJECT_META,
        "Container" => CONTAINER,
        "PodSpec" => POD_SPEC,
        "PodTemplateSpec" => POD_TEMPLATE_SPEC,
        "Conditions" => CONDITIONS,
        "WorkloadSpec" => WORKLOAD_SPEC,
        "JobTemplateSpec" => JOB_TEMPLATE_SPEC,
        "CronJobSpec" => CRONJOB_SPEC,
        "ServiceSpec" => SERVICE_SPEC,
        "NodeSpec" => NODE_SPEC,
        "NodeStatus" => NODE_STATUS,
        "PodStatus" => POD_STATUS,
        other => ROOTS
            .iter()
            .find(|(n, _)| *n == other)
            .map(|(_, f)| *f)
            .unwrap_or(&[]),
    }
}

/// Group/versions and kinds of kyaml's Kubernetes 1.21 schema, with their root shape.
const KINDS: &[(&str, &[&str], &str)] = &[
    ("v1", &["Pod"], "Pod"),
    ("v1", &["PodTemplate"], "PodTemplate"),
    ("v1", &["ReplicationController"], "Workload"),
    ("v1", &["Service"], "Service"),
    ("v1", &["ServiceAccount"], "ServiceAccount"),
    ("v1", &["Node"], "Node"),
    (
        "v1",
        &["Namespace", "PersistentVolumeClaim"],
        "WithConditions",
    ),
    (
        "v1",
        &[
            "ConfigMap",
            "Secret",
            "Endpoints",
            "Event",
            "LimitRange",
            "ResourceQuota",
            "PersistentVolume",
            "ComponentStatus",
            "Binding",
        ],
        "Object",
    ),
    (
        "apps/v1",
        &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
        "Workload",
    ),
    ("apps/v1", &["ControllerRevision"], "Object"),
    ("batch/v1", &["Job"], "Workload"),
    ("batch/v1", &["CronJob"], "CronJob"),
    ("batch/v1beta1", &["CronJob"], "CronJob"),
    ("autoscaling/v1", &["HorizontalPodAutoscaler"], "Object"),
    (
        "autoscaling/v2beta1",
        &["HorizontalPodAutoscaler"],
        "Object",
    ),
    (
        "autoscaling/v2beta2",
        &["HorizontalPodAutoscaler"],
        "Object",
    ),
    (
        "networking.k8s.io/v1",
        &["Ingress", "IngressClass", "NetworkPolicy"],
        "Object",
    ),
    (
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        "Object",
    ),
    ("extensions/v1beta1", &["Ingress"], "Object"),
    ("policy/v1", &["PodDisruptionBudget"], "WithConditions"),
    ("policy/v1beta1", &["PodDisruptionBudget"], "WithConditions"),
    ("policy/v1beta1", &["PodSecurityPolicy"], "Object"),
    (
        "rbac.authorization.k8s.io/v1",
        &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
        "Object",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
        "Object",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
        "Object",
    ),
    (
        "storage.k8s.io/v1",
        &["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"],
        "Object",
    ),
    (
        "storage.k8s.io/v1beta1",
        &[
            "StorageClass",
            "CSIDriver",
            "CSINode",
            "VolumeAttachment",
            "CSIStorageCapacity",
        ],
        "Object",
    ),
    ("scheduling.k8s.io/v1", &["PriorityClass"], "Object"),
    ("scheduling.k8s.io/v1beta1", &["PriorityClass"], "Object"),
    (
        "admissionregistration.k8s.io/v1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        "Webhooks",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        "Webhooks",
    ),
    (
        "apiextensions.k8s.io/v1",
        &["CustomResourceDefinition"],
        "WithConditions",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        &["CustomResourceDefinition"],
        "WithConditions",
    ),
    (
        "apiregistration.k8s.io/v1",
        &["APIService"],
        "WithConditions",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        &["APIService"],
        "WithConditions",
    ),
    ("coordination.k8s.io/v1", &["Lease"], "Object"),
    ("discovery.k8s.io/v1", &["EndpointSlice"], "Object"),
    ("discovery.k8s.io/v1beta1", &["EndpointSlice"], "Object"),
    ("events.k8s.io/v1", &["Event"], "Object"),
    ("node.k8s.io/v1", &["RuntimeClass"], "Object"),
    (
        "certificates.k8s.io/v1",
        &["CertificateSigningRequest"],
        "Object",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        &["FlowSchema", "PriorityLevelConfiguration"],
        "Object",
    ),
];

/// The schema of a top-level object, if kyaml's built-in schema knows its kind.
pub(crate) fn for_kind(api_version: &str, kind: &str) -> Option<Schema> {
    KINDS
        .iter()
        .find(|(av, kinds, _)| *av == api_version && kinds.contains(&kind))
        .map(|(_, _, root)| Schema::Object(root))
}

impl Schema {
    /// The schema of a field of an object.
    pub(crate) fn field(self, name: &str) -> Option<Schema> {
        match self {
            Schema::Object(t) => fields_of(t)
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| *s),
            Schema::List { .. } => None,
        }
    }

    /// The schema of a list's elements.
    pub(crate) fn elements(self) -> Option<Schema> {
        match self {
            Schema::List { item, .. } if !item.is_empty() => Some(Schema::Object(item)),
            _ => None,
        }
    }

    /// Whether the list merges element-wise (its strategy includes `merge`).
    pub(crate) fn is_associative(self) -> bool {
        match self {
            Schema::List { strategy, .. } => strategy.split(',').any(|s| s == "merge"),
            Schema::Object(_) => false,
        }
    }

    /// The merge keys of a list.
    pub(crate) fn keys(self) -> &'static [&'static str] {
        match self {
            Schema::List { keys, .. } => keys,
            Schema::Object(_) => &[],
        }
    }
}
