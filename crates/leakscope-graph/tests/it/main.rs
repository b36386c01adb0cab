//! Tests of the analyses on real snapshots made by Node at test time, and on random graphs.
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod devtools;
mod paths;
mod random;
