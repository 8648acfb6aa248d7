//! Scheduled digests (issue 28, in progress): what a subscription asks for
//! and when each of its digests is due. Pure; the subscriptions API, the
//! hourly fan-out and the delivery build on it.

pub mod schedule;
pub mod subscription;
