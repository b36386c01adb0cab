//! Tests on real snapshots.
