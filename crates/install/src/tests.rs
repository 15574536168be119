//! Properties of the generated installation.

use serde_json::{Value, json};

use crate::labels::{COMPONENT, INSTANCE, PART_OF, VERSION};
use crate::{Component, InstallOptions, generate, manifest_files, to_yaml};

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

fn of_kind<'a>(objects: &'a [Value], wanted: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| kind(o) == wanted).collect()
}

fn find<'a>(objects: &'a [Value], wanted: &str, named: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| kind(o) == wanted && name(o) == named)
        .unwrap_or_else(|| panic!("no {wanted}/{named}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether any rule of a (Cluster)Role grants `verb` on `resource` of `group`.
fn grants(role: &Value, group: &str, resource: &str, verb: &str) -> bool {
    role["rules"].as_array().into_iter().flatten().any(|rule| {
        let groups = strings(&rule["apiGroups"]);
        let resources = strings(&rule["resources"]);
        let verbs = strings(&rule["verbs"]);
        (groups.contains(&group) || groups.contains(&"*"))
            && (resources.contains(&resource) || resources.contains(&"*"))
            && (verbs.contains(&verb) || verbs.contains(&"*"))
    })
}

#[test]
fn objects_come_in_apply_order() {
    let objects = generate(&InstallOptions::default());
    let rank = |kind: &str| match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" | "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding" => 2,
        "Service" => 3,
        "Deployment" => 4,
        "NetworkPolicy" => 5,
        other => panic!("unexpected kind {other}"),
    };
    let ranks: Vec<i32> = objects.iter().map(|o| rank(kind(o))).collect();
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(ranks, sorted);
    assert_eq!(kind(&objects[0]), "Namespace");
}

#[test]
fn every_deployment_has_probes_limits_the_restricted_context_and_the_labels() {
    let options = InstallOptions::default();
    let objects = generate(&options);
    let deployments = of_kind(&objects, "Deployment");
    assert_eq!(deployments.len(), Component::all().len());
    for deployment in deployments {
        let controller = name(deployment);
        let labels = &deployment["metadata"]["labels"];
        assert_eq!(labels[PART_OF], "capstan", "{controller}");
        assert_eq!(labels[INSTANCE], "capstan-system", "{controller}");
        assert_eq!(labels[COMPONENT], controller);
        assert_eq!(labels[VERSION], options.tag().as_str());
        let spec = &deployment["spec"];
        assert_eq!(spec["replicas"], 1);
        assert_eq!(spec["selector"]["matchLabels"], json!({"app": controller}));
        assert_eq!(
            spec["template"]["metadata"]["labels"],
            json!({"app": controller})
        );
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], controller);
        assert_eq!(pod["priorityClassName"], "system-cluster-critical");
        let containers = pod["containers"].as_array().expect("containers");
        assert_eq!(containers.len(), 1);
        let container = &containers[0];
        assert_eq!(
            container["image"],
            format!("ghcr.io/capstan-gitops/{controller}:{}", options.tag()).as_str()
        );
        assert_eq!(
            container["livenessProbe"]["httpGet"],
            json!({"path": "/healthz", "port": "healthz"})
        );
        assert_eq!(
            container["readinessProbe"]["httpGet"],
            json!({"path": "/readyz", "port": "healthz"})
        );
        assert_eq!(
            container["resources"],
            json!({
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "1000m", "memory": "256Mi"},
            })
        );
        assert_eq!(
            container["securityContext"],
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": true,
                "runAsNonRoot": true,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            })
        );
        let args = strings(&container["args"]);
        for flag in [
            "--enable-leader-election",
            "--watch-all-namespaces=true",
            "--log-level=info",
            "--log-encoding=json",
        ] {
            assert!(
                args.contains(&flag),
                "{controller}: {flag} missing in {args:?}"
            );
        }
        assert_eq!(
            container["env"][0],
            json!({"name": "RUNTIME_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
        );
        let ports: Vec<(&str, i64)> = container["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default(),
                    p["containerPort"].as_i64().unwrap_or_default(),
                )
            })
            .collect();
        assert!(ports.contains(&("http-prom", 8080)) && ports.contains(&("healthz", 9440)));
        // A read-only root filesystem needs a writable /tmp.
        let mounts: Vec<&str> = container["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["mountPath"].as_str())
            .collect();
        assert!(mounts.contains(&"/tmp"), "{controller}: {mounts:?}");
    }
}

#[test]
fn source_controller_serves_artifacts_from_data_behind_its_service() {
    let options = InstallOptions {
        cluster_domain: "example.internal".into(),
        ..InstallOptions::default()
    };
    let objects = generate(&options);
    let deployment = find(&objects, "Deployment", "source-controller");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let args = strings(&container["args"]);
    assert!(args.contains(&"--storage-path=/data"));
    assert!(args.contains(&"--storage-addr=:9090"));
    assert!(args.contains(
        &"--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.example.internal."
    ));
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
    assert!(
        container["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "http" && p["containerPort"] == 9090)
    );
    let service = find(&objects, "Service", "source-controller");
    assert_eq!(
        service["spec"],
        json!({
            "type": "ClusterIP",
            "selector": {"app": "source-controller"},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
        })
    );
    // Only source-controller serves anything.
    assert_eq!(of_kind(&objects, "Service").len(), 1);
}

#[test]
fn rbac_is_least_privilege_per_controller() {
    let objects = generate(&InstallOptions::default());
    let source = find(&objects, "ClusterRole", "source-controller-capstan-system");
    let kustomize = find(
        &objects,
        "ClusterRole",
        "kustomize-controller-capstan-system",
    );
    let core = "";
    let sources = "source.toolkit.fluxcd.io";
    let kustomizations = "kustomize.toolkit.fluxcd.io";

    // Tenancy: only kustomize-controller impersonates.
    assert!(!grants(source, core, "serviceaccounts", "impersonate"));
    assert!(grants(kustomize, core, "serviceaccounts", "impersonate"));

    // Each controller writes its own kinds and their status, and only reads the others.
    assert!(grants(source, sources, "gitrepositories", "patch"));
    assert!(grants(source, sources, "gitrepositories/status", "patch"));
    assert!(grants(
        source,
        sources,
        "gitrepositories/finalizers",
        "update"
    ));
    assert!(!grants(source, kustomizations, "kustomizations", "get"));
    assert!(grants(
        kustomize,
        kustomizations,
        "kustomizations/status",
        "patch"
    ));
    assert!(grants(kustomize, sources, "gitrepositories", "watch"));
    assert!(!grants(kustomize, sources, "gitrepositories", "patch"));
    assert!(!grants(
        kustomize,
        sources,
        "gitrepositories/status",
        "patch"
    ));

    for role in [source, kustomize] {
        // Secrets and ConfigMaps are read, never written; Events are written.
        for resource in ["secrets", "configmaps"] {
            assert!(grants(role, core, resource, "get"));
            for verb in ["create", "update", "patch", "delete"] {
                assert!(
                    !grants(role, core, resource, verb),
                    "{} {verb} {resource}",
                    name(role)
                );
            }
        }
        assert!(grants(role, core, "events", "create"));
        assert!(grants(role, "events.k8s.io", "events", "patch"));
        // Nothing by wildcard, nothing to delete, nothing about RBAC.
        for rule in role["rules"].as_array().into_iter().flatten() {
            for field in ["apiGroups", "resources", "verbs"] {
                assert!(
                    !strings(&rule[field]).contains(&"*"),
                    "{}: {rule}",
                    name(role)
                );
            }
            assert!(
                !strings(&rule["verbs"]).contains(&"delete"),
                "{}: {rule}",
                name(role)
            );
            assert!(!strings(&rule["apiGroups"]).contains(&"rbac.authorization.k8s.io"));
        }
        // Leases live in a namespaced Role, not in the ClusterRole.
        assert!(!grants(role, "coordination.k8s.io", "leases", "create"));
    }

    let lease_role = find(&objects, "Role", "source-controller-leader-election");
    assert_eq!(lease_role["metadata"]["namespace"], "capstan-system");
    assert!(grants(
        lease_role,
        "coordination.k8s.io",
        "leases",
        "create"
    ));
    let renew = lease_role["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| strings(&r["verbs"]).contains(&"update"))
        .expect("a rule to renew the lease");
    assert_eq!(
        renew["resourceNames"],
        json!(["source-controller-leader-election"])
    );

    // As Flux: cluster-admin for the applier only, bound to its ServiceAccount.
    let reconciler = find(
        &objects,
        "ClusterRoleBinding",
        "cluster-reconciler-capstan-system",
    );
    assert_eq!(reconciler["roleRef"]["name"], "cluster-admin");
    assert_eq!(
        reconciler["subjects"],
        json!([{"kind": "ServiceAccount", "name": "kustomize-controller", "namespace": "capstan-system"}])
    );
    let admin_bindings: Vec<&Value> = of_kind(&objects, "ClusterRoleBinding")
        .into_iter()
        .filter(|b| b["roleRef"]["name"] == "cluster-admin")
        .collect();
    assert_eq!(admin_bindings.len(), 1);
}

#[test]
fn aggregated_roles_let_editors_and_viewers_use_the_installed_kinds() {
    let objects = generate(&InstallOptions::default());
    let edit = find(&objects, "ClusterRole", "capstan-edit-capstan-system");
    let view = find(&objects, "ClusterRole", "capstan-view-capstan-system");
    assert_eq!(
        edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"],
        "true"
    );
    assert_eq!(
        view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"],
        "true"
    );
    assert!(grants(
        edit,
        "kustomize.toolkit.fluxcd.io",
        "kustomizations",
        "create"
    ));
    assert!(grants(
        edit,
        "source.toolkit.fluxcd.io",
        "ocirepositories",
        "delete"
    ));
    assert!(!grants(
        edit,
        "source.toolkit.fluxcd.io",
        "gitrepositories/status",
        "patch"
    ));
    assert!(grants(
        view,
        "source.toolkit.fluxcd.io",
        "gitrepositories",
        "list"
    ));
    assert!(!grants(
        view,
        "source.toolkit.fluxcd.io",
        "gitrepositories",
        "create"
    ));
    assert!(!grants(
        view,
        "helm.toolkit.fluxcd.io",
        "helmreleases",
        "get"
    ));
}

#[test]
fn selecting_components_selects_their_objects_and_crds() {
    let options = InstallOptions {
        components: vec![Component::SourceController],
        ..InstallOptions::default()
    };
    let objects = generate(&options);
    let crds: Vec<&str> = of_kind(&objects, "CustomResourceDefinition")
        .into_iter()
        .map(name)
        .collect();
    assert_eq!(
        crds,
        [
            "gitrepositories.source.toolkit.fluxcd.io",
            "ocirepositories.source.toolkit.fluxcd.io",
            "helmrepositories.source.toolkit.fluxcd.io",
            "helmcharts.source.toolkit.fluxcd.io",
            "buckets.source.toolkit.fluxcd.io",
        ]
    );
    let deployments: Vec<&str> = of_kind(&objects, "Deployment")
        .into_iter()
        .map(name)
        .collect();
    assert_eq!(deployments, ["source-controller"]);
    assert!(
        !objects
            .iter()
            .any(|o| name(o).contains("kustomize-controller"))
    );
    assert!(
        !objects
            .iter()
            .any(|o| name(o).starts_with("cluster-reconciler"))
    );

    let all = generate(&InstallOptions::default());
    let crds: Vec<&str> = of_kind(&all, "CustomResourceDefinition")
        .into_iter()
        .map(name)
        .collect();
    assert_eq!(crds.len(), 6);
    assert!(crds.contains(&"kustomizations.kustomize.toolkit.fluxcd.io"));
    assert!(!crds.iter().any(|c| c.contains("helm.toolkit")
        || c.contains("notification")
        || c.contains("image.toolkit")));
}

#[test]
fn network_policies_follow_the_option() {
    let on = generate(&InstallOptions::default());
    let policies: Vec<&str> = of_kind(&on, "NetworkPolicy")
        .into_iter()
        .map(name)
        .collect();
    assert_eq!(policies, ["allow-egress", "allow-scraping"]);
    let scraping = find(&on, "NetworkPolicy", "allow-scraping");
    assert_eq!(
        scraping["spec"]["ingress"][0]["ports"],
        json!([{"port": 8080, "protocol": "TCP"}])
    );
    let off = generate(&InstallOptions {
        network_policy: false,
        ..InstallOptions::default()
    });
    assert!(of_kind(&off, "NetworkPolicy").is_empty());
}

#[test]
fn everything_is_parametric_in_the_namespace() {
    let options = InstallOptions {
        namespace: "tenant-a".into(),
        ..InstallOptions::default()
    };
    let objects = generate(&options);
    assert_eq!(name(&objects[0]), "tenant-a");
    for object in &objects {
        let labels = &object["metadata"]["labels"];
        assert_eq!(
            labels[PART_OF],
            "capstan",
            "{}/{}",
            kind(object),
            name(object)
        );
        assert_eq!(
            labels[INSTANCE],
            "tenant-a",
            "{}/{}",
            kind(object),
            name(object)
        );
        match kind(object) {
            "Namespace" | "CustomResourceDefinition" => {}
            "ClusterRole" | "ClusterRoleBinding" => {
                assert!(name(object).ends_with("-tenant-a"), "{}", name(object));
            }
            _ => assert_eq!(
                object["metadata"]["namespace"],
                "tenant-a",
                "{}",
                name(object)
            ),
        }
        for subject in object["subjects"].as_array().into_iter().flatten() {
            assert_eq!(subject["namespace"], "tenant-a");
        }
    }
}

#[test]
fn flags_reach_the_pods() {
    let options = InstallOptions {
        watch_all_namespaces: false,
        log_level: "debug".into(),
        image_pull_secret: Some("regcred".into()),
        toleration_keys: vec!["dedicated".into()],
        registry: "mirror.local/capstan".into(),
        version: "0.9.0".into(),
        ..InstallOptions::default()
    };
    let objects = generate(&options);
    for deployment in of_kind(&objects, "Deployment") {
        let pod = &deployment["spec"]["template"]["spec"];
        let args = strings(&pod["containers"][0]["args"]);
        assert!(args.contains(&"--watch-all-namespaces=false"));
        assert!(args.contains(&"--log-level=debug"));
        assert_eq!(pod["imagePullSecrets"], json!([{"name": "regcred"}]));
        assert_eq!(
            pod["tolerations"],
            json!([{"key": "dedicated", "operator": "Exists"}])
        );
        assert!(
            pod["containers"][0]["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("mirror.local/capstan/") && i.ends_with(":v0.9.0"))
        );
        assert_eq!(deployment["metadata"]["labels"][VERSION], "v0.9.0");
    }
}

#[test]
fn yaml_is_stable_and_parses_back_to_the_objects() {
    let options = InstallOptions::default();
    let yaml = to_yaml(&generate(&options));
    assert_eq!(yaml, to_yaml(&generate(&options)));
    assert!(yaml.starts_with(&format!(
        "# Capstan {} installation, generated by `capstan install --export`",
        options.tag()
    )));
    let parsed: Vec<Value> = yaml
        .split("\n---\n")
        .skip(1)
        .map(|doc| serde_yaml::from_str(doc).expect("a YAML document"))
        .collect();
    assert_eq!(parsed, generate(&options));
    // Keys are sorted, so a field moving in a struct never shows up as a diff.
    let deployment = yaml
        .split("\n---\n")
        .find(|d| d.starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata:"))
        .expect("a deployment document");
    assert!(deployment.contains("\nspec:\n"));
}

#[test]
fn committed_tree_has_a_kustomization_per_folder_and_one_for_everything() {
    let files = manifest_files(&InstallOptions::default());
    let paths: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    for folder in [
        "crds",
        "rbac",
        "source-controller",
        "kustomize-controller",
        "policies",
        "install",
    ] {
        assert!(
            paths.contains(&format!("{folder}/kustomization.yaml")),
            "{folder}: {paths:?}"
        );
    }
    let install = &files
        .iter()
        .find(|(p, _)| p.display().to_string() == "install/kustomization.yaml")
        .expect("install kustomization")
        .1;
    for resource in [
        "- namespace.yaml",
        "- ../crds",
        "- ../rbac",
        "- ../source-controller",
        "- ../kustomize-controller",
        "- ../policies",
    ] {
        assert!(
            install.contains(&format!("{resource}\n")),
            "{resource}:\n{install}"
        );
    }
    // CRDs of controllers not installed are removed from ../crds.
    assert!(install.contains("name: helmreleases.helm.toolkit.fluxcd.io\n"));
    assert!(!install.contains("name: kustomizations.kustomize.toolkit.fluxcd.io\n"));
}
