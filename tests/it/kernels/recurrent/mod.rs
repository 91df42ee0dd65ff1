//! The recurrent kernels against their reference vectors (tests/data/kernels/recurrent).

mod api;
pub mod common;
mod dims_props;
mod explain;
mod hand;
mod naive;
mod reference;
