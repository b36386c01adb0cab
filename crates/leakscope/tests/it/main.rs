//! End-to-end tests of the `leakscope` binary on real snapshots made by Node at test time.
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod analyses;
mod core;
mod info;
mod leaks;
mod live;
mod maps;
mod native;
mod report;
mod support;
