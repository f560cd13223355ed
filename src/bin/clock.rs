//! `clock`: the process on the clock dyno. See `heroku_clock::cli::clock`.

fn main() -> std::process::ExitCode {
    heroku_clock::cli::clock::clock_main()
}
