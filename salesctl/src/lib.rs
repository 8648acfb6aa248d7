//! `salesctl`: the admin command-line tool. Local stack setup, the loader,
//! demo data, tokens, the local stream pump and the local API server with
//! its explorer; every command is a library function so tests drive the
//! same code.

pub mod bulk;
pub mod catch_up;
pub mod demo;
pub mod explorer;
pub mod load;
pub mod mapping;
pub mod progress;
pub mod pump;
pub mod read_cost;
pub mod reconcile;
pub mod serve;
pub mod setup;
pub mod write_cost;

pub use demo::scale;
