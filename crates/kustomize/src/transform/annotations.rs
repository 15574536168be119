//! `commonAnnotations` and the `AnnotationsTransformer`: the same walk as labels, over the
//! annotation field specs.

use crate::kustomization::FieldSpec;
use crate::resmap::ResMap;

/// Sets annotation pairs at `specs` on every object.
pub(crate) fn set_pairs(
    resmap: &mut ResMap,
    pairs: &[(String, String)],
    specs: &[FieldSpec],
) -> Result<(), String> {
    super::labels::set_pairs(resmap, pairs, specs)
}
