//! One integration-test binary. Every test builds real git repositories at test time, runs the
//! real `phiguard` binary (and real `git commit` through installed hooks) and asserts on exit
//! codes and output. All PHI and secrets here are synthetic; this directory is a fixture path
//! in the repository's own `.phiguard.toml`.

mod common;

mod audit;
mod baseline;
mod ci;
mod concurrency;
mod faults;
mod formats;
mod hooks;
mod index;
mod install;
mod layering;
mod lsp;
mod managers;
mod messages;
mod phi;
mod planning;
mod precommit;
mod push;
mod readme;
mod regression;
mod rules;
mod scan;
mod secrets;
mod signing;
mod synthetic;
mod weakening;
