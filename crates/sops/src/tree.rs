//! The document tree every format is read into: sops' `TreeBranch` with comments kept as items,
//! plus (for YAML) where each leaf sits in the source so the output can be spliced.

use std::ops::Range;

use zeroize::Zeroizing;

use crate::value::Scalar;

/// A node of the tree, in document order.
pub(crate) enum Node {
    Map(Vec<Item>),
    /// List items; comments inside a list are `Node::Comment`.
    List(Vec<Node>),
    Leaf(Leaf),
    Comment(Comment),
}

/// An entry of a mapping: a key/value pair or a comment line.
pub(crate) enum Item {
    Pair(String, Node),
    Comment(Comment),
}

/// A scalar value.
pub(crate) struct Leaf {
    pub(crate) value: Scalar,
    /// Where the scalar is written in a YAML source.
    pub(crate) src: Option<Src>,
    /// Set once the value has been replaced by its decryption.
    pub(crate) decrypted: bool,
}

impl Leaf {
    pub(crate) fn new(value: Scalar) -> Self {
        Self {
            value,
            src: None,
            decrypted: false,
        }
    }
}

/// The source position of a YAML scalar and the context yaml.v3 would emit it in.
pub(crate) struct Src {
    pub(crate) span: Range<usize>,
    pub(crate) ctx: YamlCtx,
}

/// Where a YAML scalar sits, which decides its indentation when printed as a block scalar.
#[derive(Clone, Copy)]
pub(crate) enum YamlCtx {
    /// A block mapping value whose key starts at this column (in characters).
    MapValue { key_col: usize },
    /// A block sequence item whose `-` is at this column.
    SeqItem { dash_col: usize },
    /// Inside `[...]` or `{...}`.
    Flow,
}

/// A comment line (the text after `#`).
pub(crate) struct Comment {
    pub(crate) text: Zeroizing<String>,
    /// The byte range of the text after `#` in a YAML source.
    pub(crate) span: Option<Range<usize>>,
    pub(crate) decrypted: bool,
    /// Other sops paths the comment may have been encrypted under (YAML comment placement is
    /// heuristic; a comment that does not decrypt is kept as it is, as sops does).
    pub(crate) alt_paths: Vec<Vec<String>>,
}

impl Comment {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: Zeroizing::new(text.to_owned()),
            span: None,
            decrypted: false,
            alt_paths: Vec::new(),
        }
    }
}

/// Looks a key up in a mapping.
pub(crate) fn get<'a>(items: &'a [Item], key: &str) -> Option<&'a Node> {
    items.iter().find_map(|it| match it {
        Item::Pair(k, v) if k == key => Some(v),
        _ => None,
    })
}
