//! `clockctl`: the companion CLI, and the clock itself when it is called `clock` (the
//! buildpacks install this one binary and a `clock` link to it). See `heroku_clock::cli`.

fn main() -> std::process::ExitCode {
    heroku_clock::cli::main_by_name()
}
