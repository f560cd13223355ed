//! heroku-clock: a declarative clock process for Heroku.
//!
//! The data path runs straight through the modules, in this order:
//! `clock.yml` text → [`config`] (parse, with positions, into a validated model) →
//! [`schedule`] (a pure "next run after t" per job) → [`runtime`] (the loop that decides
//! *when* a run fires) → [`exec`] (what a run *does*: spawn, stream, time out, kill) →
//! [`logging`] (Heroku-style logfmt lines). Beside it stand [`heroku`] (the Platform API
//! client) and [`cli`] (the `clockctl` subcommands), plus [`procfile`] for the buildpack
//! and [`visible`], which every printed string from a file or a server passes.

pub mod cli;
pub mod config;
pub mod credential;
pub mod deadline;
pub mod exec;
pub mod heroku;
pub mod logging;
pub mod notify;
pub mod procfile;
pub mod runtime;
pub mod schedule;
pub mod store;
pub mod visible;
