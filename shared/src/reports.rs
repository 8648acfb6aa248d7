//! The monthly management report (built and stored by the export
//! function) and the listing of stored reports. Its figures come from
//! `crate::queries`, as the endpoints' do.

#[cfg(feature = "exports")]
pub mod management;
#[cfg(feature = "s3")]
pub mod stored;
