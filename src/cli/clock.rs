//! The `clock` binary's command line. (Filled in by the clock-process work.)

use std::process::ExitCode;

/// The entry point of the `clock` binary.
pub fn clock_main() -> ExitCode {
    ExitCode::FAILURE
}
