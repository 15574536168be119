//! `spec.postBuild`: bash-style variable substitution after the build, as Flux.
//!
//! Variables come from `substituteFrom` ConfigMaps and Secrets in order (later wins; an
//! `optional` one may be missing) and then `substitute` (wins over all); newlines are removed
//! from values and names must match Flux's rule. With `substituteStrategy: WithVariables` (the
//! default) objects are only rewritten when there are variables; objects labelled or annotated
//! `kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone. Strict mode (Flux's
//! `StrictPostBuildSubstitutions`, on by default) makes an unset variable without a default an
//! error naming the object and the variable. Values never appear in messages.

use std::collections::BTreeMap;

use capstan_api::annotation;
use capstan_api::kustomize::{Kustomization, SubstituteStrategy};
use capstan_api::meta::ValuesKind;
use capstan_envsubst::{Mode, substitute};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::{Api, Client, ResourceExt};
use serde_json::Value;

use crate::Error;

/// The variables of a Kustomization, read from the cluster (`substituteFrom`) and the spec.
pub async fn load(
    client: &Client,
    kustomization: &Kustomization,
) -> Result<BTreeMap<String, String>, Error> {
    let Some(post_build) = &kustomization.spec.post_build else {
        return Ok(BTreeMap::new());
    };
    let namespace = kustomization.namespace().unwrap_or_default();
    let mut vars = BTreeMap::new();
    for reference in post_build.substitute_from.iter().flatten() {
        let optional = reference.optional.unwrap_or(false);
        let name = &reference.name;
        let data: Option<BTreeMap<String, String>> = match reference.kind {
            ValuesKind::ConfigMap => {
                let api: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
                let found = api.get_opt(name).await.map_err(|e| {
                    Error::Variables(format!("substitute from 'ConfigMap/{name}': {e}"))
                })?;
                found.map(|cm| cm.data.unwrap_or_default())
            }
            ValuesKind::Secret => {
                let api: Api<Secret> = Api::namespaced(client.clone(), &namespace);
                let found = api.get_opt(name).await.map_err(|e| {
                    Error::Variables(format!("substitute from 'Secret/{name}': {e}"))
                })?;
                found.map(|secret| {
                    secret
                        .data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                        .collect()
                })
            }
        };
        match data {
            Some(data) => vars.extend(data),
            None if optional => {}
            None => {
                let kind = match reference.kind {
                    ValuesKind::ConfigMap => "ConfigMap",
                    ValuesKind::Secret => "Secret",
                };
                return Err(Error::Variables(format!(
                    "substitute from '{kind}/{name}': not found in namespace '{namespace}'"
                )));
            }
        }
    }
    vars.extend(post_build.substitute.clone().unwrap_or_default());
    checked(vars)
}

/// The variables of `postBuild.substitute` alone, checked as [`load`] checks them: what a
/// build without cluster access (`capstan build --dry-run`) can know.
pub fn inline(kustomization: &Kustomization) -> Result<BTreeMap<String, String>, Error> {
    let substitute = kustomization
        .spec
        .post_build
        .as_ref()
        .and_then(|p| p.substitute.clone())
        .unwrap_or_default();
    checked(substitute)
}

/// Refuses invalid names and removes newlines from values, as Flux.
fn checked(mut vars: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Error> {
    for (name, value) in &mut vars {
        if !capstan_envsubst::valid_name(name) {
            return Err(Error::Variables(format!(
                "'{name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"
            )));
        }
        value.retain(|c| c != '\n');
    }
    Ok(vars)
}

/// Substitutes `vars` into every object that does not opt out.
pub fn substitute_all(
    objects: Vec<Value>,
    vars: &BTreeMap<String, String>,
    strategy: SubstituteStrategy,
    strict: bool,
) -> Result<Vec<Value>, Error> {
    if vars.is_empty() && strategy == SubstituteStrategy::WithVariables {
        return Ok(objects);
    }
    let mode = if strict { Mode::Strict } else { Mode::Lenient };
    let lookup = |name: &str| vars.get(name).cloned();
    objects
        .into_iter()
        .map(|object| {
            if opted_out(&object) {
                return Ok(object);
            }
            let describe = || crate::describe(&object);
            let text = serde_yaml::to_string(&object)
                .map_err(|e| Error::Variables(format!("serializing {}: {e}", describe())))?;
            let substituted =
                substitute(&text, &lookup, mode).map_err(|source| Error::Substitute {
                    object: describe(),
                    source,
                })?;
            serde_yaml::from_str(&substituted).map_err(|e| {
                Error::Variables(format!(
                    "{} is not valid YAML after substitution: {e}",
                    describe()
                ))
            })
        })
        .collect()
}

fn opted_out(object: &Value) -> bool {
    let metadata = &object["metadata"];
    [&metadata["labels"], &metadata["annotations"]]
        .iter()
        .any(|map| map[annotation::KUSTOMIZE_SUBSTITUTE].as_str() == Some(annotation::DISABLED))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [
            ("cluster".to_string(), "prod".to_string()),
            ("replicas".to_string(), "3".to_string()),
        ]
        .into()
    }

    #[test]
    fn values_are_substituted_and_typed_by_yaml() {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app-${cluster}"},
            "spec": {"replicas": "${replicas}", "note": "$${literal}", "region": "${region:=eu}"}});
        let out = substitute_all(
            vec![object],
            &vars(),
            SubstituteStrategy::WithVariables,
            true,
        )
        .unwrap();
        assert_eq!(out[0]["metadata"]["name"], "app-prod");
        assert_eq!(
            out[0]["spec"]["replicas"], 3,
            "an unquoted number becomes a number, as in Flux"
        );
        assert_eq!(out[0]["spec"]["note"], "${literal}");
        assert_eq!(out[0]["spec"]["region"], "eu");
    }

    #[test]
    fn strict_mode_names_the_object_and_variable() {
        let object = json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "apps"}, "data": {"a": "${missing}"}});
        let error = substitute_all(
            vec![object.clone()],
            &vars(),
            SubstituteStrategy::WithVariables,
            true,
        )
        .unwrap_err();
        let message = format!(
            "{error}: {}",
            std::error::Error::source(&error)
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        assert!(
            message.contains("ConfigMap/apps/c") && message.contains("'missing'"),
            "{message}"
        );
        // Without strict mode the reference becomes empty text, which YAML reads as null (as Flux).
        let lenient = substitute_all(
            vec![object],
            &vars(),
            SubstituteStrategy::WithVariables,
            false,
        )
        .unwrap();
        assert_eq!(lenient[0]["data"]["a"], serde_json::Value::Null);
    }

    #[test]
    fn inline_variables_are_checked_like_loaded_ones() {
        let with = |substitute: serde_json::Value| -> Kustomization {
            serde_json::from_value(json!({
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "apps", "namespace": "flux-system"},
                "spec": {"interval": "5m", "prune": true,
                    "sourceRef": {"kind": "GitRepository", "name": "repo"},
                    "postBuild": {"substitute": substitute,
                        "substituteFrom": [{"kind": "ConfigMap", "name": "absent"}]}}
            }))
            .unwrap()
        };
        let vars = inline(&with(json!({"cluster": "prod\n"}))).unwrap();
        assert_eq!(vars, [("cluster".to_string(), "prod".to_string())].into());
        let error = inline(&with(json!({"1bad": "x"}))).unwrap_err();
        assert!(error.to_string().contains("'1bad'"), "{error}");
    }

    #[test]
    fn opted_out_objects_and_empty_vars_are_untouched() {
        let disabled = json!({"kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}, "data": {"a": "${cluster}"}});
        let out = substitute_all(
            vec![disabled.clone()],
            &vars(),
            SubstituteStrategy::WithVariables,
            true,
        )
        .unwrap();
        assert_eq!(out[0], disabled);
        let plain =
            json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "${x:=1}"}});
        assert_eq!(
            substitute_all(
                vec![plain.clone()],
                &BTreeMap::new(),
                SubstituteStrategy::WithVariables,
                true
            )
            .unwrap()[0],
            plain
        );
        assert_eq!(
            substitute_all(
                vec![plain],
                &BTreeMap::new(),
                SubstituteStrategy::Always,
                true
            )
            .unwrap()[0]["data"]["a"],
            1
        );
    }
}
