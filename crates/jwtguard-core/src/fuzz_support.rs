//! What the fuzz targets reach that the public API does not (built only under `cargo fuzz`,
//! which sets `--cfg fuzzing`).

use serde::de::DeserializeOwned;

use crate::RegisteredClaims;

/// A claims set read the two ways `Validator::verify` may read it: in one pass, and the strict
/// way (the registered claims, then `T`), each `None` where it refuses. Where the one pass
/// answers, the strict way must give the same.
pub fn claims_both_ways<T: DeserializeOwned>(
    payload: &str,
) -> (Option<(RegisteredClaims, T)>, Option<(RegisteredClaims, T)>) {
    let one = crate::verify::one_pass::parse(payload.to_owned()).ok();
    let strict = serde_json::from_str(payload).ok().zip(serde_json::from_str(payload).ok());
    (one, strict)
}
