//! `lantian`: the county air-quality platform's one binary.
//!
//! Layout: `cmd/` holds one module per subcommand (arguments and output),
//! and the readers of station data files are in `lantian-assess`. Domain rules
//! live in the library crates (`lantian-standards`, `lantian-hj212`), which do no I/O.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// 蓝天 lantian — county air-quality platform.
#[derive(Debug, Parser)]
#[command(name = "lantian", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Try it: an embedded database with real (Beijing sample) station data,
    /// the server, and simulated stations uploading live; prints the login.
    Demo(cmd::demo::Args),
    /// AQI of one set of concentrations (HJ 633-2012 / HJ 633-2026).
    Aqi(cmd::aqi::Args),
    /// Statistics, validity, composite index, ranking and targets of hourly station data.
    Assess(cmd::assess::Args),
    /// Back-fill the store from station data files (every format `assess`
    /// reads); a second run stores nothing twice.
    Import(cmd::import::Args),
    /// HJ 212 codec: decode captures, encode frames.
    #[command(subcommand)]
    Hj212(cmd::hj212::Command),
    /// Take in devices' data over HJ 212 and store it (SQLite or PostgreSQL).
    Serve(cmd::serve::ServeArgs),
    /// The device registry: add, list, import, disable, enable.
    #[command(subcommand)]
    Device(cmd::serve::DeviceCommand),
    /// Play HJ 212 devices against a server.
    Simulate(cmd::simulate::Args),
    /// Audits of stored data.
    #[command(subcommand)]
    Audit(cmd::serve::AuditCommand),
    /// Source supervision offline: judge a CEMS export against limits.
    #[command(subcommand)]
    Sources(cmd::sources::Command),
    /// The enterprise register: import (xlsx or CSV), export, template, list.
    #[command(subcommand)]
    Enterprise(cmd::enterprise::Command),
    /// The county's townships: import, list.
    #[command(subcommand)]
    Township(cmd::enterprise::TownshipCommand),
    /// Heavy-pollution alerts: classify forecast days.
    #[command(subcommand)]
    Alert(cmd::alert::Command),
    /// Straw and open-burning fire points: the ledger of a point list.
    #[command(subcommand)]
    Fires(cmd::fires::Command),
    /// The plan's measures as data: measures, draft.
    #[command(subcommand)]
    Plan(cmd::plan::Command),
    /// Reports (日报, 月报, 年报, 应对评估) of a database, as PDF, xlsx or JSON.
    Report(cmd::report::Args),
    /// The data review (数据审核): mark hours invalid, restore, list.
    #[command(subcommand)]
    Review(cmd::review::Command),
    /// Users and roles: add, passwd, list.
    #[command(subcommand)]
    User(cmd::user::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(a),
        Command::Aqi(a) => cmd::aqi::run(a),
        Command::Assess(a) => cmd::assess::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Hj212(c) => cmd::hj212::run(c),
        Command::Serve(a) => cmd::serve::serve(a),
        Command::Device(c) => cmd::serve::device(c),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Audit(c) => cmd::serve::audit(c),
        Command::User(c) => cmd::user::run(c),
        Command::Sources(c) => cmd::sources::run(c),
        Command::Enterprise(c) => cmd::enterprise::run(c),
        Command::Township(c) => cmd::enterprise::township(c),
        Command::Alert(c) => cmd::alert::run(c),
        Command::Fires(c) => cmd::fires::run(c),
        Command::Plan(c) => cmd::plan::run(c),
        Command::Review(c) => cmd::review::run(c),
        Command::Report(a) => cmd::report::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
