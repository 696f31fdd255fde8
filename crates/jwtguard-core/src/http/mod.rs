//! Answering an HTTP request: where the token is, what the request gets, and the RFC 6750
//! answer when it is refused. Both framework integrations call this and only translate.
//!
//! | file | job |
//! |---|---|
//! | `source.rs` | [`RequestHead`](source::RequestHead), token sources: where a request carries its token |
//! | `guard.rs` | [`Guard`](guard::Guard): a validator with its sources, answer format and mode |
//! | `bearer.rs` | RFC 6750 answers: the one mapping from an error to a status and a challenge |
//! | `pipeline.rs` | [`Guard::decide`](guard::Guard::decide): pass, reject or refetch, for one request |
//! | `extract.rs` | what a `Claims<T>` extractor does with what the middleware left |
//! | `authz.rs` | scope, role and claim requirements after authentication |

pub mod authz;
pub mod bearer;
pub mod extract;
pub mod guard;
pub mod pipeline;
pub mod source;
