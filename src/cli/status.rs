//! `clockctl status`. (Filled in by its issue's work.)

use std::process::ExitCode;

use super::Failure;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let _ = args;
    Err(Failure::new("not built yet"))
}
