//! The HTTP API of the real server on random ports, by area: every route
//! refuses nobody (`routes`), sessions and logins (`sessions`), devices and
//! the frame journal (`devices`), the data API (`data`), on SQLite and on
//! PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod alerts;
mod data;
mod devices;
mod fires;
mod forward;
mod ledger;
mod observations;
mod reports;
mod reviews;
mod routes;
mod sessions;
mod sources;
mod tickets;
