//! `notification.toolkit.fluxcd.io`: Provider and Alert (`v1beta3`, static
//! configuration without status) and Receiver (`v1`).

pub mod alert;
pub mod provider;
pub mod receiver;
pub mod reference;

pub use alert::{Alert, AlertSpec, EventSeverity};
pub use provider::{Provider, ProviderSpec, ProviderType};
pub use receiver::{
    OIDCProvider, OIDCValidation, OIDCVariable, Receiver, ReceiverSpec, ReceiverStatus,
    ReceiverType,
};
pub use reference::{CrossNamespaceObjectReference, FluxKind};
