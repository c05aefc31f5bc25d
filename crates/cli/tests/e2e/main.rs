//! End-to-end tests of the `akless` client tools: the binary against a real akless server started in-process.

mod agent;
mod issuer_admin;
mod quickstart;
mod support;
mod tools;
