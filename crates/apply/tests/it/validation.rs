//! One refused object means nothing is applied, and the error names it and the field.

use capstan_apply::{ApplyError, ValidationPoint};
use capstan_e2e::{TestNamespace, cluster};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn an_invalid_service_port_stops_the_whole_set() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "validation").await;
    let applier = applier(&client, "validation", ns.name());
    let existing = config_map(ns.name(), "existing", json!({"v": "1"}));
    applier
        .apply_all_staged(vec![existing.clone()])
        .await
        .unwrap();
    let rv = resource_version(&live(&client, &existing).await.unwrap());

    let changed = config_map(ns.name(), "existing", json!({"v": "2"}));
    let fresh = config_map(ns.name(), "fresh", json!({"v": "1"}));
    let bad = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad", "namespace": ns.name()},
        "spec": {"ports": [{"port": 70000}]}});
    let error = applier
        .apply_all_staged(vec![changed, fresh.clone(), bad])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(&error, ApplyError::Validation { point: ValidationPoint::BeforeApply, refused, .. } if refused.len() == 1),
        "{text}"
    );
    assert!(error.applied().is_none());
    assert!(
        text.contains(&format!("Service/{}/bad", ns.name())),
        "{text}"
    );
    assert!(text.contains("spec.ports[0].port"), "{text}");
    assert!(text.contains("nothing was applied"), "{text}");

    // Nothing changed.
    assert!(live(&client, &fresh).await.is_none());
    let after = live(&client, &existing).await.unwrap();
    assert_eq!(resource_version(&after), rv);
    assert_eq!(after["data"]["v"], "1");
}

#[tokio::test]
async fn a_custom_resource_refused_by_its_schema_names_every_refused_object() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "validation").await;
    let group = group_for(ns.name());
    let applier = applier(&client, "validation", ns.name());
    applier
        .apply_all_staged(vec![widget_crd(&group)])
        .await
        .unwrap();
    let good = widget(&group, ns.name(), "good", 2);
    let error = applier
        .apply_all_staged(vec![
            good.clone(),
            widget(&group, ns.name(), "zero", 0),
            widget(&group, ns.name(), "negative", -1),
        ])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("2 object(s) failed validation"), "{text}");
    assert!(
        text.contains(&format!("Widget/{}/zero", ns.name())),
        "{text}"
    );
    assert!(
        text.contains(&format!("Widget/{}/negative", ns.name())),
        "{text}"
    );
    assert!(text.contains("spec.size"), "{text}");
    assert!(live(&client, &good).await.is_none());
}

#[tokio::test]
async fn an_unknown_kind_is_a_clear_error_and_nothing_is_applied() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "validation").await;
    let applier = applier(&client, "validation", ns.name());
    let cm = config_map(ns.name(), "cm", json!({}));
    let unknown = json!({"apiVersion": "nowhere.capstan.dev/v1", "kind": "Gizmo",
        "metadata": {"name": "g", "namespace": ns.name()}});
    let error = applier
        .apply_all_staged(vec![cm.clone(), unknown])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "Gizmo/{}/g: no API serves nowhere.capstan.dev/v1, Kind=Gizmo",
            ns.name()
        )),
        "{text}"
    );
    assert!(live(&client, &cm).await.is_none());
}

#[tokio::test]
async fn a_namespaced_object_without_namespace_is_refused_by_name() {
    let client = cluster().client().await;
    let applier = applier(&client, "validation", "default");
    let error = applier
        .apply_all_staged(vec![json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "nameless-ns"}})])
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "ConfigMap/nameless-ns: namespace not specified for a namespaced object"
    );
}

#[tokio::test]
async fn objects_of_a_new_crd_are_validated_after_the_first_stage() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "validation").await;
    let group = group_for(ns.name());
    let applier = applier(&client, "validation", ns.name());
    let cm = config_map(ns.name(), "cm", json!({}));
    let error = applier
        .apply_all_staged(vec![
            widget_crd(&group),
            widget(&group, ns.name(), "zero", 0),
            cm.clone(),
        ])
        .await
        .unwrap_err();
    let ApplyError::Validation { point, .. } = &error else {
        panic!("expected a validation error, got {error}");
    };
    assert_eq!(*point, ValidationPoint::AfterDefinitions);
    let applied = error.applied().expect("the CRD was applied");
    assert_eq!(
        applied.to_string(),
        format!("CustomResourceDefinition/widgets.{group} created")
    );
    assert!(
        error
            .to_string()
            .contains(&format!("Widget/{}/zero", ns.name()))
    );
    assert!(live(&client, &cm).await.is_none());
}
