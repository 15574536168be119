//! `image.toolkit.fluxcd.io/v1`: image scanning (ImageRepository,
//! ImagePolicy) and Git write-back (ImageUpdateAutomation).

pub mod image_policy;
pub mod image_repository;
pub mod image_update_automation;

pub use image_policy::{
    ImagePolicy, ImagePolicyChoice, ImagePolicySpec, ImagePolicyStatus, ImageRef, OrderPolicy,
    ReflectionPolicy, SemVerPolicy, SortOrder, TagFilter,
};
pub use image_repository::{
    ImageRepository, ImageRepositorySpec, ImageRepositoryStatus, ScanResult,
};
pub use image_update_automation::{
    AutomationSourceKind, AutomationSourceReference, CommitSpec, CommitUser, GitCheckoutSpec,
    GitSpec, ImageUpdateAutomation, ImageUpdateAutomationSpec, ImageUpdateAutomationStatus,
    PushSpec, SigningKey, SigningKeyType, UpdateStrategy, UpdateStrategyName,
};
