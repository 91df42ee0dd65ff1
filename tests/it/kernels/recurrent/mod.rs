//! The recurrent kernels against their reference vectors (tests/data/kernels/recurrent).

pub mod common;
mod api;
mod dims_props;
mod explain;
mod hand;
mod naive;
mod reference;
