//! Property tests: the reader and the printer never panic, and printed values read back equal.

use proptest::prelude::*;

use super::emit::to_yaml;
use super::parse::parse_stream;
use crate::testing::{value, yamlish_text};
use crate::value::{Map, Value};

proptest! {
    #![proptest_config(crate::testing::config(256))]

    #[test]
    fn reading_arbitrary_text_never_panics(text in "\\PC{0,120}") {
        let _ = parse_stream(&text);
    }

    #[test]
    fn reading_and_printing_yamlish_text_never_panics(text in yamlish_text()) {
        if let Ok(docs) = parse_stream(&text) {
            for d in &docs {
                let _ = to_yaml(d);
            }
        }
    }

    // Objects are always mappings; a scalar at the root is never printed by a build.
    #[test]
    fn printed_values_read_back_equal(v in value().prop_map(|v| {
        let mut m = Map::new();
        m.insert("root".into(), v);
        Value::Map(m)
    })) {
        let text = to_yaml(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse_stream(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back.len(), 1, "{}", text);
        prop_assert_eq!(&back[0], &v, "{}", text);
    }
}
