//! `clockctl`: the companion CLI. See `heroku_clock::cli`.

fn main() -> std::process::ExitCode {
    heroku_clock::cli::clockctl_main()
}
