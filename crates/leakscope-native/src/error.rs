//! The error of this crate.

/// Reading a dump failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NativeError {
    /// The file is not the sampler's output.
    #[error("line {line}: {message}")]
    Format {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No complete dump in the file.
    #[error("no complete dump (the program may have been killed before the sampler wrote one)")]
    NoDump,
}
