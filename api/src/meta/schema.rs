//! Hand-written schemas for fields whose derived schema does not match what
//! Flux's CRDs declare.

use schemars::{Schema, SchemaGenerator, json_schema};

/// Drops `format` from an integer schema: Go `int` fields carry none in
/// Flux's CRDs (only `int64` ones say `format: int64`).
pub fn go_int(schema: &mut Schema) {
    schema.remove("format");
}

/// Schema of `status.conditions`: Kubernetes `metav1.Condition` with the
/// validation markers the apiserver's own type carries (status enum, reason
/// pattern, length limits), as in Flux's CRDs.
pub fn conditions(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Observations of the object's state, Ready first.",
        "type": "array",
        "items": {
            "description": "One aspect of the object's state (metav1.Condition).",
            "type": "object",
            "properties": {
                "lastTransitionTime": {
                    "description": "When the status last changed.",
                    "type": "string",
                    "format": "date-time"
                },
                "message": {
                    "description": "Human readable details.",
                    "type": "string",
                    "maxLength": 32768
                },
                "observedGeneration": {
                    "description": "metadata.generation the condition was computed from.",
                    "type": "integer",
                    "format": "int64",
                    "minimum": 0
                },
                "reason": {
                    "description": "CamelCase identifier of the cause.",
                    "type": "string",
                    "maxLength": 1024,
                    "minLength": 1,
                    "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
                },
                "status": {
                    "description": "True, False or Unknown.",
                    "type": "string",
                    "enum": ["True", "False", "Unknown"]
                },
                "type": {
                    "description": "Condition type, e.g. Ready.",
                    "type": "string",
                    "maxLength": 316,
                    "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
                }
            },
            "required": ["lastTransitionTime", "message", "reason", "status", "type"]
        }
    })
}

/// Schema of a free-form JSON value (Helm values and the like): any
/// structure, kept as is by the apiserver.
pub fn free_form(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Free-form JSON, stored as given.",
        "x-kubernetes-preserve-unknown-fields": true
    })
}
