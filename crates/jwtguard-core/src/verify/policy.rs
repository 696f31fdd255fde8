//! The claims policy: `exp`, `nbf`, `iat`, maximum age, `iss`, `aud` and required claims.

use super::claims::{Claim, RegisteredClaims};
use super::validator::Policy;
use crate::{Error, ErrorKind};

impl Policy {
    pub(crate) fn check_claims(&self, c: &RegisteredClaims) -> Result<(), Error> {
        let i = self;
        let now = i.clock.now();
        let leeway = i.leeway;
        let Some(exp) = c.exp else {
            return Err(Error::detailed(ErrorKind::MissingClaim, "exp"));
        };
        if now >= exp.saturating_add(leeway) {
            return Err(Error::new(ErrorKind::Expired));
        }
        if let Some(nbf) = c.nbf
            && now.saturating_add(leeway) < nbf
        {
            return Err(Error::new(ErrorKind::NotYetValid));
        }
        if let Some(iat) = c.iat
            && iat > now.saturating_add(leeway)
        {
            return Err(Error::new(ErrorKind::IssuedInFuture));
        }
        if let Some(max_age) = i.max_age {
            let Some(iat) = c.iat else {
                return Err(Error::detailed(ErrorKind::MissingClaim, "iat"));
            };
            if now.saturating_sub(iat) > max_age.saturating_add(leeway) {
                return Err(Error::new(ErrorKind::TooOld));
            }
        }
        if !i.issuers.is_empty() {
            match c.iss() {
                None => return Err(Error::detailed(ErrorKind::MissingClaim, "iss")),
                Some(iss) if !i.issuers.iter().any(|want| want == iss) => {
                    return Err(Error::new(ErrorKind::WrongIssuer));
                }
                Some(_) => {}
            }
        }
        match (&c.aud, i.audiences.is_empty()) {
            (None, true) => {}
            (Some(_), true) => {
                return Err(Error::detailed(ErrorKind::WrongAudience, "audience present but none configured"));
            }
            (None, false) => return Err(Error::detailed(ErrorKind::MissingClaim, "aud")),
            (Some(aud), false) => {
                if !i.audiences.iter().any(|want| aud.contains(want)) {
                    return Err(Error::new(ErrorKind::WrongAudience));
                }
            }
        }
        if let Some(missing) = i.required.iter().find(|claim| !c.has(**claim)) {
            let name = match missing {
                Claim::Iss => "iss",
                Claim::Sub => "sub",
                Claim::Aud => "aud",
                Claim::Exp => "exp",
                Claim::Nbf => "nbf",
                Claim::Iat => "iat",
                Claim::Jti => "jti",
            };
            return Err(Error::detailed(ErrorKind::MissingClaim, name));
        }
        Ok(())
    }
}
