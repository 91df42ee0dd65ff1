//! The explorer UI.
