//! CEL expressions over JSON: compile once, evaluate to a boolean with named variables.
//! Health checks use it, and the kustomize-controller reuses it for `dependsOn[].readyExpr`
//! (variables `self` and `dep`).

use std::sync::{Arc, LazyLock};

use cel::{Context, Env, Program};
use serde_json::Value;

pub use crate::error::ExprError;

/// The standard environment plus the string, list and encoder extensions Flux enables.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    // The bundled extensions only fail on duplicate declarations, which cannot happen on a
    // fresh environment; a failure would merely leave those functions out.
    let _ = env.add_extension(cel::extensions::strings);
    let _ = env.add_extension(cel::extensions::lists);
    let _ = env.add_extension(cel::extensions::encoders);
    Arc::new(env)
});

/// A compiled CEL expression. Cheap to clone.
#[derive(Clone)]
pub struct Expr {
    source: String,
    program: Arc<Program>,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expr").field(&self.source).finish()
    }
}

impl Expr {
    /// Parses an expression; a syntax error names the expression.
    pub fn compile(source: &str) -> Result<Expr, ExprError> {
        let program = ENV.compile(source).map_err(|e| ExprError::Parse {
            expr: source.to_string(),
            message: e.to_string(),
        })?;
        Ok(Expr {
            source: source.to_string(),
            program: Arc::new(program),
        })
    }

    /// The expression text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates to a boolean with JSON variables (`[("self", &obj), ("dep", &dep)]`); a
    /// missing field, a type error or a non-boolean result is an error naming the expression.
    pub fn eval_bool(&self, vars: &[(&str, &Value)]) -> Result<bool, ExprError> {
        let mut context = Context::with_env(Arc::clone(&ENV));
        for (name, value) in vars {
            context
                .add_variable(*name, *value)
                .map_err(|e| ExprError::Eval {
                    expr: self.source.clone(),
                    message: format!("variable {name}: {e}"),
                })?;
        }
        match self.program.execute(&context) {
            Ok(cel::Value::Bool(result)) => Ok(result),
            Ok(other) => Err(ExprError::NotBool {
                expr: self.source.clone(),
                got: format!("{other:?}"),
            }),
            Err(e) => Err(ExprError::Eval {
                expr: self.source.clone(),
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions_evaluate_over_json_variables() {
        let dep = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}],
            "lastAppliedRevision": "main@sha1:abc"}});
        let me = json!({"metadata": {"annotations": {"rev": "main@sha1:abc"}}});
        let expr = Expr::compile(
            "dep.status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True') && \
             dep.status.lastAppliedRevision == self.metadata.annotations.rev",
        )
        .unwrap();
        assert!(expr.eval_bool(&[("self", &me), ("dep", &dep)]).unwrap());
        let has = Expr::compile("has(dep.status.missing)").unwrap();
        assert!(!has.eval_bool(&[("dep", &dep)]).unwrap());
        let string_ext =
            Expr::compile("dep.status.lastAppliedRevision.startsWith('main')").unwrap();
        assert!(string_ext.eval_bool(&[("dep", &dep)]).unwrap());
    }

    #[test]
    fn errors_name_the_expression() {
        let error = Expr::compile("self.status ==").unwrap_err();
        assert!(error.to_string().contains("self.status =="), "{error}");
        let missing = Expr::compile("self.status.ready").unwrap();
        let error = missing.eval_bool(&[("self", &json!({}))]).unwrap_err();
        assert!(matches!(error, ExprError::Eval { .. }), "{error}");
        let not_bool = Expr::compile("1 + 1").unwrap();
        assert!(matches!(
            not_bool.eval_bool(&[]).unwrap_err(),
            ExprError::NotBool { .. }
        ));
    }
}
