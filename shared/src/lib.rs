//! The library every Sales Analytics function uses: source records, money,
//! periods and dates, DynamoDB layout and access, auth, and HTTP errors.

pub mod money;
pub mod records;
