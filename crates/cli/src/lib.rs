//! The `tocsin` binary's library half: choosing and opening the database from flags, and
//! starting the server exactly as `tocsin serve` does. The integration tests start their
//! in-process servers through [`serve::prepare`], so a test's server and the binary's share
//! one bootstrap (flags, first start, state) instead of two copies of it.

pub mod db;
pub mod log_sink;
pub mod paging_args;
pub mod serve;
