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

/// A JWS header's `alg`, `kid`, `typ` and whether it has `crit`, read by the compact reader
/// verification tries first and by the strict walk alone, each `None` where it refuses. Where
/// the compact reader answers, the strict walk must give the same.
pub type HeaderFields = (String, Option<String>, Option<String>, bool);

/// See [`HeaderFields`].
pub fn header_both_ways(json: &str) -> (Option<HeaderFields>, Option<HeaderFields>) {
    use crate::verify::header::RawHeader;
    let fields =
        |h: RawHeader<'_>| (h.alg.into_owned(), h.kid.map(|k| k.into_owned()), h.typ.map(|t| t.into_owned()), h.crit);
    (crate::verify::header::compact(json).map(fields), serde_json::from_str::<RawHeader<'_>>(json).ok().map(fields))
}
