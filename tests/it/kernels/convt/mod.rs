//! The convt kernels against their reference vectors (tests/data/kernels/convt).

pub mod common;
mod hand;
mod props;
mod reference;
mod sizes;
